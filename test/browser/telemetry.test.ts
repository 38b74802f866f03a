import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { serve } from '../../src/node.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { build } from 'esbuild'
import { hasChromium, launchChromium } from '../helpers/chromium.js'
import { createFakeProvider } from '../helpers/fake-provider.js'

// honeyhiveTelemetry in real headless Chromium: the real `ai` 7 and @ai-sdk/openai bundled into a page with the
// built entries (telemetry-page.ts); the fake provider and the fake HoneyHive answer on the page's own origin.
const available = hasChromium
const ci = process.env.CI === 'true'
if (!available && !ci)
  console.warn('[browser telemetry suite] skipped: no Chromium. Install it: apt-get install -y chromium')

const provider = createFakeProvider()
const honeyhive = createFakeHoneyHive({ apiKey: 'hh-page-test' })
let server: Awaited<ReturnType<typeof serve>>
let context: BrowserContext
let closeChromium: (() => Promise<void>) | undefined

describe.skipIf(!available && !ci)('honeyhiveTelemetry in Chromium', () => {
  beforeAll(async () => {
    // esbuild (wrangler's own bundler, pinned by it): the AI SDK's gateway imports a CommonJS package
    // (@vercel/oidc) that test/helpers/bundle.ts, without a CommonJS plugin, cannot take.
    const entry = new URL('./telemetry-page.ts', import.meta.url).pathname
    const { outputFiles } = await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    })
    const script = outputFiles[0].text
    const page = `<!doctype html><title>telemetry</title><script type="module">import { turn } from '/page.js'; window.turn = turn</script>`
    server = await serve(async (request) => {
      const { pathname } = new URL(request.url)
      if (pathname === '/') return new Response(page, { headers: { 'content-type': 'text/html' } })
      if (pathname === '/page.js') return new Response(script, { headers: { 'content-type': 'text/javascript' } })
      return pathname.startsWith('/v1/events') ? honeyhive(request) : provider(request)
    })
    ;({ context, close: closeChromium } = await launchChromium())
  }, 60_000)
  afterAll(async () => {
    await closeChromium?.()
    await server?.close()
  })

  const turn = async (model: string, stopAt?: string) => {
    const page = await context.newPage()
    await page.goto(server.url)
    const sessionId = crypto.randomUUID()
    type Turn = (model: string, sessionId: string, stopAt?: string) => Promise<string>
    await page.waitForFunction(() => 'turn' in window)
    const text = await page.evaluate(
      ([model, sessionId, stopAt]) => (window as unknown as { turn: Turn }).turn(model, sessionId, stopAt),
      [model, sessionId, stopAt] as const,
    )
    await page.close()
    const events = honeyhive.events.filter((event) => event.session_id === sessionId) as Array<Record<string, any>>
    const chain = events.find((event) => event.event_type === 'chain')!
    return { text, events, chain, of: (type: string) => events.filter((event) => event.event_type === type) }
  }
  const script = (model: string, holdAfter?: number) =>
    provider.script(
      model,
      { toolCalls: [{ id: 'call_1', name: 'weather', args: ['{"city":', '"Paris"}'] }] },
      { text: ['Sunny ', 'in ', 'Paris'], holdAfter },
    )

  test('a two-step streamText with a tool gives 1 chain, 2 model and 1 tool event, all under the chain', async () => {
    script('gpt-page')
    const { text, events, chain, of } = await turn('gpt-page')
    expect(text).toBe('Sunny in Paris')
    expect(events).toHaveLength(4)
    expect(chain).toMatchObject({
      event_name: 'page-turn',
      outputs: { content: 'Sunny in Paris' },
      metadata: { status: 'success', steps: 2 },
    })
    expect([of('model').length, of('tool').length]).toEqual([2, 1])
    for (const event of [...of('model'), ...of('tool')]) expect(event.parent_id).toBe(chain.event_id)
    expect(of('tool')[0]).toMatchObject({
      event_name: 'weather',
      inputs: { city: 'Paris' },
      outputs: { result: 'sunny in Paris' },
    })
  }, 30_000)

  test('stopped in step 2: one cancelled chain, the stopped call cancelled with its partial text, no duplicate', async () => {
    script('gpt-page-stop', 2)
    const { events, chain, of } = await turn('gpt-page-stop', 'Sunny in ')
    expect(events).toHaveLength(4)
    expect(chain.metadata).toMatchObject({ status: 'cancelled', steps: 1 })
    expect(of('model').map((event) => event.metadata.status)).toEqual(['success', 'cancelled'])
    expect(of('model')[1].outputs).toEqual({ role: 'assistant', content: 'Sunny in ' })
  }, 30_000)
})
