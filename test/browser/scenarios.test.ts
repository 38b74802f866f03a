import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, test } from 'vitest'
import { serve } from '../../src/node.js'
import { bundle } from '../helpers/bundle.js'
import { executablePath, hasChromium, launchChromium } from '../helpers/chromium.js'
import { gate, versionOf } from '../helpers/runtime-suite.js'
import { scenariosFor, scenarioTimeoutMs } from '../scenarios/index.js'
import { startUpstream } from '../workers/upstream.js'

// The shared scenarios in real headless Chromium (Debian's /usr/bin/chromium), on the built bundle: a
// loopback page origin serves the page, the bundle and the scenarios, and forwards everything else to the
// fake HoneyHive. Each test runs one scenario in the page.

const key = 'hh-chromium-scenarios-key-0b9d'

if (gate('browser', hasChromium, `no Chromium at ${executablePath}: apt-get install -y chromium`)) {
  let context: BrowserContext
  let page: Page
  let closeChromium: (() => Promise<void>) | undefined
  const closers: Array<() => Promise<void>> = []
  beforeAll(async () => {
    const upstream = await startUpstream(key)
    closers.push(upstream.close)
    const client = readFileSync(new URL('../../dist/honeyhive-edge.min.js', import.meta.url), 'utf8')
    const scenarios = await bundle(fileURLToPath(new URL('./scenarios-page.ts', import.meta.url)), {
      format: 'es',
      conditions: ['browser'],
    })
    const html = `<!doctype html><title>scenarios</title><script type="module">
      import * as client from '/honeyhive-edge.min.js'
      import { start } from '/scenarios.js'
      globalThis.runScenario = start(client, ${JSON.stringify(key)})
    </script>`
    const js = (body: string) => new Response(body, { headers: { 'content-type': 'text/javascript' } })
    const origin = await serve(async (request) => {
      const { pathname, search } = new URL(request.url)
      if (pathname === '/') return new Response(html, { headers: { 'content-type': 'text/html' } })
      if (pathname === '/honeyhive-edge.min.js') return js(client)
      if (pathname === '/scenarios.js') return js(scenarios)
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer()
      return fetch(upstream.url + pathname + search, { method: request.method, headers: request.headers, body })
    })
    closers.push(origin.close)
    ;({ context, close: closeChromium } = await launchChromium())
    page = await context.newPage()
    await page.goto(`${origin.url}/`)
    await page.waitForFunction(() => 'runScenario' in globalThis)
  })
  afterAll(async () => {
    await closeChromium?.()
    await Promise.all(closers.map((close) => close()))
  })

  describe(versionOf(executablePath) ?? 'Chromium', () => {
    for (const scenario of scenariosFor('chromium')) {
      test(
        scenario.name,
        () =>
          page.evaluate(
            (name) => (globalThis as unknown as { runScenario(name: string): Promise<void> }).runScenario(name),
            scenario.name,
          ),
        scenarioTimeoutMs,
      )
    }
  })
}
