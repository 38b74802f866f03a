import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { BrowserContext } from 'playwright-core'
import { startInspector } from '../../src/inspector/index.js'
import { serve } from '../../src/node.js'
import { chromiumArgs, hasChromium, launchChromium } from '../helpers/chromium.js'

// The inspector against web pages in headless Chromium (issue 23, items 5 and 7): a name rebound to this
// machine cannot read the page or its API, and another site's page can neither write a session nor spend a
// fault, by fetch or by beacon, unless the inspector is started with that origin in `cors`. Names under
// `.test` resolve to 127.0.0.1 through Chromium's host resolver rules, as a rebinding attacker's DNS would.
const available = hasChromium
const ci = process.env.CI === 'true'
let context: BrowserContext
let closeChromium: (() => Promise<void>) | undefined

const shop = `<!doctype html><title>another site</title>`

describe.skipIf(!available && !ci)('the inspector and other sites, in headless Chromium', () => {
  beforeAll(async () => {
    ;({ context, close: closeChromium } = await launchChromium({
      args: [...chromiumArgs, '--host-resolver-rules=MAP *.test 127.0.0.1'],
    }))
  })
  afterAll(async () => {
    await closeChromium?.()
  })

  test('a rebound name gets 403 for the page and every API route; the loopback address works', async () => {
    const inspector = await startInspector({ port: 0 })
    try {
      const page = await context.newPage()
      const answer = await page.goto(`http://rebound.test:${inspector.port}/`)
      expect(answer?.status()).toBe(403)
      const statuses = await page.evaluate(async () =>
        Promise.all(
          ['/api/state', '/api/events/x', '/api/stream', '/inspector-page.js'].map(
            async (path) => (await fetch(path)).status,
          ),
        ),
      )
      expect(statuses).toEqual([403, 403, 403, 403])
      expect((await page.goto(inspector.url))?.status()).toBe(200)
      await page.close()
    } finally {
      await inspector.close()
    }
  })

  test("another site's page cannot write a session or spend a fault, by fetch or beacon; with its origin in cors it can", async () => {
    const app = await serve(() => new Response(shop, { headers: { 'content-type': 'text/html' } }))
    const closed = await startInspector({ port: 0 })
    const open = await startInspector({ port: 0, cors: [`http://shop.test:${app.port}`] })
    try {
      const page = await context.newPage()
      await page.goto(`http://shop.test:${app.port}/`)
      const attempt = (baseUrl: string) =>
        page.evaluate(async (baseUrl) => {
          // (No crypto.randomUUID on plain http: HoneyHive takes any string id.)
          const id = () => `page-${Math.random().toString(36).slice(2)}`
          const body = JSON.stringify({ model_events: [{ event_id: id(), session_id: id(), model: 'gpt-4o' }] })
          const fetched = await fetch(`${baseUrl}/events/model/batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }).then(
            (response) => response.status,
            () => 'blocked',
          )
          return { fetched, beacon: navigator.sendBeacon(`${baseUrl}/events/model/batch`, body) }
        }, baseUrl)
      closed.inspector.fail({ kind: '500' })
      expect(await attempt(closed.baseUrl)).toEqual({ fetched: 'blocked', beacon: true })
      // The beacon arrives (refused: 403), the preflight was refused before it.
      await expect
        .poll(() => closed.inspector.requests().map((request) => [request.method, request.status]))
        .toEqual([
          ['OPTIONS', 403],
          ['POST', 403],
        ])
      expect(closed.inspector.events()).toEqual([])
      expect(closed.inspector.sessions()).toEqual([])
      expect(closed.inspector.faults().pending).toEqual(['500'])

      expect(await attempt(open.baseUrl)).toEqual({ fetched: 200, beacon: true })
      // Both carried the same event: stored twice.
      await expect
        .poll(() =>
          open.inspector
            .requests()
            .filter((request) => request.method === 'POST')
            .map((request) => [request.status, request.beacon]),
        )
        .toEqual([
          [200, false],
          [200, true],
        ])
      expect(open.inspector.events()[0]).toMatchObject({ stored: 2 })
      await page.close()
    } finally {
      await Promise.all([closed.close(), open.close(), app.close()])
    }
  })
})
