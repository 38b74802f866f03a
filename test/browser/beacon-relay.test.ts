import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page, Response as PlaywrightResponse } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { serve } from '../../src/node.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import type { ClientOptions } from '../../src/index.js'
import { executablePath, hasChromium, launchChromium } from '../helpers/chromium.js'
import { posts } from '../helpers/fake-server.js'
import { hasWrangler, startWranglerDev, type WranglerDev } from '../helpers/wrangler-dev.js'

// The production path end to end: a page in headless Chromium loads the *built* bundle, logs events with
// `baseUrl` at the relay Worker of wrangler.toml (served by `wrangler dev`, workerd, offline), and goes away;
// its text/plain beacon crosses origins without a preflight, and the relay adds the key and forwards the
// batch to a loopback fake HoneyHive. Everything listens on 127.0.0.1.

// Chromium (Debian's, never a downloaded one), wrangler and workerd are all needed. A missing one fails the
// run under CI=true; locally this file is skipped with a hint.
const root = fileURLToPath(new URL('../..', import.meta.url))
const available = hasChromium && hasWrangler
const ci = process.env.CI === 'true'
const missing = [
  hasChromium ? '' : `Chromium at ${executablePath} (apt-get install -y chromium)`,
  hasWrangler ? '' : 'wrangler or workerd (npm ci; devDependency "wrangler" 4.86.0)',
].filter(Boolean)
if (!available && !ci) console.warn(`[beacon relay suite] skipped: missing ${missing.join(' and ')}`)

const key = 'hh-beacon-relay-key-5c1d'
// Wrangler's output and the relay's answers are printed only with the key cut out (the relay redacts it too).
const redact = (text: string) => text.split(key).join('[key]')
const honeyhive = createFakeHoneyHive({ apiKey: key })

// The page hands the bundle's createClient to the test (page.evaluate cannot import: vitest rewrites import()).
const testPage = `<!doctype html><title>beacon relay</title><script type="module">
import { createClient } from '/honeyhive-edge.min.js'
globalThis.createClient = createClient
</script>`

type Server = Awaited<ReturnType<typeof serve>>
const servers: Server[] = []
let relay: WranglerDev | undefined
const output = () => relay?.output() ?? ''
let relayUrl = ''
let allowedOrigin = ''
let foreignOrigin = ''
let context: BrowserContext | undefined
let closeChromium: (() => Promise<void>) | undefined

/** A page origin on loopback serving the test page and the built bundle. */
async function pageServer(bundle: string): Promise<string> {
  const server = await serve((request) =>
    new URL(request.url).pathname === '/honeyhive-edge.min.js'
      ? new Response(bundle, { headers: { 'content-type': 'text/javascript' } })
      : new Response(testPage, { headers: { 'content-type': 'text/html' } }),
  )
  servers.push(server)
  return server.url
}

/** Opens `origin` in a new tab, creates a client there through the relay (no key) and logs `count` events. */
async function logInPage(
  origin: string,
  count: number,
  options: ClientOptions = {},
): Promise<{ page: Page; ids: string[] }> {
  const page = await context!.newPage()
  await page.goto(`${origin}/`)
  await page.waitForFunction(() => 'createClient' in globalThis)
  const ids = await page.evaluate(
    ({ options, count }) => {
      const hh = (
        globalThis as unknown as { createClient: typeof import('../../src/index.js').createClient }
      ).createClient(options)
      ;(globalThis as { hh?: unknown }).hh = hh
      return Array.from({ length: count }, (_, i) =>
        hh.log({
          model: 'gpt-4o',
          provider: 'openai',
          messages: [{ role: 'user', content: `question ${i}` }],
          metadata: { i },
        }),
      )
    },
    { options: { baseUrl: relayUrl, flushAt: 1000, flushIntervalMs: 60_000, ...options }, count },
  )
  return { page, ids }
}

/** Lines wrangler dev logged for POSTs to the batch URL with `status` (how the test sees a beacon reach workerd). */
const relayLog = (status: number) =>
  output()
    .split('\n')
    .filter((line) => line.includes(`POST /events/model/batch ${status}`)).length
const storedIds = () => honeyhive.events.map((event) => event.event_id)
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(!available && !ci)('beacons from headless Chromium through the relay under wrangler dev', () => {
  beforeAll(async () => {
    if (!available) throw new Error(`missing ${missing.join(' and ')} (CI=true makes this a failure)`)
    const bundle = readFileSync(join(root, 'dist', 'honeyhive-edge.min.js'), 'utf8')
    const upstream = await serve(honeyhive)
    servers.push(upstream)
    // Two page origins: only the first is in the relay's allowed origins.
    allowedOrigin = await pageServer(bundle)
    foreignOrigin = await pageServer(bundle)
    // Chromium starts while workerd does.
    const launching = launchChromium()
    launching
      .then((launched) => {
        context = launched.context
        closeChromium = launched.close
      })
      .catch(() => undefined)
    relay = await startWranglerDev({ apiKey: key, baseUrl: upstream.url, allowedOrigins: allowedOrigin }, redact)
    relayUrl = relay.url
    ;({ context, close: closeChromium } = await launching)
  }, 30_000)

  afterAll(async () => {
    await closeChromium?.()
    await relay?.stop()
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })

  test('events of a closed tab arrive at HoneyHive once each, same ids, with the relay key the page never had', async () => {
    honeyhive.reset()
    const { page, ids: flushed } = await logInPage(allowedOrigin, 2)
    // What the page can read of the relay: the answer to an ordinary (preflighted, application/json) batch.
    const answers: Array<Promise<string>> = []
    page.on('response', (response: PlaywrightResponse) => {
      if (response.url().startsWith(relayUrl))
        answers.push(response.text().then((text) => `${response.status()} ${redact(text)}#${text.includes(key)}`))
    })
    await page.evaluate(() => (globalThis as unknown as { hh: { flush(): Promise<void> } }).hh.flush())
    await vi.waitFor(() => expect(storedIds()).toEqual(flushed), { timeout: 5000, interval: 25 })
    const beaconed = await page.evaluate(() =>
      [2, 3, 4].map((i) =>
        (globalThis as unknown as { hh: { log(event: object): string } }).hh.log({
          model: 'gpt-4o',
          provider: 'openai',
          messages: [{ role: 'user', content: `question ${i}` }],
          metadata: { i },
        }),
      ),
    )
    // Queued, not sent: only the page going away sends them.
    await settle(200)
    expect(storedIds()).toEqual(flushed)

    await page.close()
    await vi.waitFor(() => expect(storedIds()).toHaveLength(5), { timeout: 10_000, interval: 25 })
    // A late duplicate (the pagehide and visibilitychange of one close, or a relay retry) would land here.
    await settle(500)
    expect(storedIds()).toEqual([...flushed, ...beaconed])
    expect(honeyhive.events.map((event) => (event.messages?.[0] as { content?: string }).content)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `question ${i}`),
    )
    // The fake refuses (401, stores nothing) without the key: two batches, both carrying the relay's key.
    const received = posts(honeyhive)
    expect(received.map((request) => request.status)).toEqual([200, 200])
    expect(
      received.every((request) => request.headers.authorization === `Bearer ${key}`),
      'upstream Authorization is the relay key',
    ).toBe(true)
    // workerd answered the flush and the beacon with 202 (waitUntil delivery).
    expect(relayLog(202)).toBeGreaterThanOrEqual(2)

    // The page never saw the key: it was given only baseUrl, and the one relay answer it could read (the
    // beacon's answer is discarded by the browser) holds the ids and no key; wrangler never printed it.
    const readable = await Promise.all(answers)
    expect(
      readable.some((answer) => answer.startsWith('202 ') && flushed.every((id) => answer.includes(id))),
      readable.join('\n'),
    ).toBe(true)
    expect(
      readable.every((answer) => answer.endsWith('#false')),
      'a relay answer to the page contains the key',
    ).toBe(true)
    expect(output().includes(key), 'wrangler output contains the key').toBe(false)
  })

  test('a tab navigating away delivers its queue by beacon the same way', async () => {
    honeyhive.reset()
    const { page, ids } = await logInPage(allowedOrigin, 3)
    await page.goto(`${foreignOrigin}/`)
    await vi.waitFor(() => expect(storedIds()).toHaveLength(3), { timeout: 10_000, interval: 25 })
    await settle(500)
    expect(storedIds()).toEqual(ids)
    expect(
      posts(honeyhive).map((request) => [request.status, request.headers.authorization === `Bearer ${key}`]),
    ).toEqual([[200, true]])
    await page.close()
  })

  test('a beacon from an origin not in the relay allowed origins reaches workerd, is refused, and nothing is forwarded', async () => {
    honeyhive.reset()
    const refusedBefore = relayLog(403)
    const { page, ids } = await logInPage(foreignOrigin, 3)
    expect(ids).toHaveLength(3)
    await page.close()
    // The beacon did go (text/plain, no preflight to stop it): workerd logs the relay's 403.
    await vi.waitFor(() => expect(relayLog(403)).toBe(refusedBefore + 1), { timeout: 10_000, interval: 25 })
    await settle(500)
    expect(honeyhive.events).toEqual([])
    expect(honeyhive.requests).toEqual([])
  })
})
