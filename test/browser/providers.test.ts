import type { BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { serve } from '../../src/node.js'
import type { FakeHoneyHive } from '../../src/testing.js'
import { hasChromium, launchChromium } from '../helpers/chromium.js'
import { createFakeProvider } from '../helpers/fake-provider.js'

// Real headless Chromium (Debian's /usr/bin/chromium) runs examples/browser-chat: the real openai SDK in the
// page, the built honeyhive-edge/openai and client files, served with the example's own server on loopback.
const available = hasChromium
const ci = process.env.CI === 'true'
if (!available && !ci) console.warn('[browser providers suite] skipped: no Chromium. Install it: apt-get install -y chromium')

interface Example {
  url: string
  honeyhive: FakeHoneyHive
  close(): Promise<void>
}
type StartExample = (options: { openai?: { apiKey?: string; baseUrl?: string }; honeyhiveKey?: string }) => Promise<Example>
const closers: Array<() => Promise<void>> = []
let context: BrowserContext
let closeChromium: (() => Promise<void>) | undefined
let startExample: StartExample

/** Waits until `check` holds. */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 25))
}

describe.skipIf(!available && !ci)('examples/browser-chat in headless Chromium', () => {
  beforeAll(async () => {
    ;({ startExample } = await import('../../examples/browser-chat/serve.mjs' as string))
    ;({ context, close: closeChromium } = await launchChromium())
  })
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })
  afterAll(async () => {
    await closeChromium?.()
  })

  test('a full turn, then a turn the page stops half way: both logged once, the stopped one with the partial reply the user saw', async () => {
    const example = await startExample({ openai: {}, honeyhiveKey: '' })
    closers.push(example.close)
    const page = await context.newPage()
    await page.goto(example.url)
    await page.fill('#message', 'hello')
    await page.press('#message', 'Enter')
    await page.waitForSelector('.assistant.done')
    const full = await page.textContent('.assistant.done')
    expect(full).toMatch(/^You said: hello\. /)
    await page.fill('#message', 'tell me more')
    await page.press('#message', 'Enter')
    await page.waitForFunction(() => document.querySelectorAll('.assistant')[1]?.textContent?.includes('You said: tell'))
    await page.click('#stop')
    await page.waitForSelector('.assistant.stopped')
    const partial = await page.textContent('.assistant.stopped')
    expect(partial!.length).toBeLessThan(full!.length)
    await page.close()
    await until(() => example.honeyhive.events.length >= 2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const events = example.honeyhive.events as Array<Record<string, any>>
    expect(events).toHaveLength(2)
    const [done, stopped] = events
    expect(done).toMatchObject({ project: 'browser-chat', model: 'gpt-4o-mini', provider: 'openai', event_name: 'openai.chat', messages: [{ role: 'user', content: 'hello' }] })
    expect(done.response).toEqual({ role: 'assistant', content: full })
    expect(done.usage).toMatchObject({ completion_tokens: expect.any(Number), total_tokens: expect.any(Number) })
    expect(done.metadata).toMatchObject({ status: 'success', stream: true, usage_reported: true, finish_reason: 'stop' })
    expect(done.metadata.time_to_first_token_ms).toBeGreaterThan(0)
    expect(stopped.messages).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: full },
      { role: 'user', content: 'tell me more' },
    ])
    expect(stopped.response).toEqual({ role: 'assistant', content: partial })
    expect(stopped.metadata).toMatchObject({ status: 'cancelled', stream: true, usage_reported: false })
    expect(stopped.metadata).not.toHaveProperty('finish_reason')
    expect(stopped.error).toBeUndefined()
    expect(stopped.session_id).toBe(done.session_id)
  })

  test('with an OpenAI key the example server adds it on the way out: the page only ever sends a placeholder', async () => {
    const provider = createFakeProvider()
    const upstream = await serve(provider)
    closers.push(upstream.close)
    provider.script('gpt-4o-mini', { text: ['Real ', 'answer'], usage: { input: 5, output: 2 } })
    const key = 'sk-live-held-by-the-server-7f3a'
    const example = await startExample({ openai: { apiKey: key, baseUrl: `${upstream.url}/v1` }, honeyhiveKey: '' })
    closers.push(example.close)
    const page = await context.newPage()
    const sent: string[] = []
    page.on('request', (request) => request.url().endsWith('/v1/chat/completions') && sent.push(request.headers().authorization))
    const received: string[] = []
    page.on('response', async (response) => received.push(await response.text().catch(() => '')))
    await page.goto(example.url)
    await page.fill('#message', 'hi')
    await page.press('#message', 'Enter')
    await page.waitForSelector('.assistant.done')
    expect(await page.textContent('.assistant.done')).toBe('Real answer')
    expect(sent).toEqual(['Bearer held-by-the-server'])
    expect(provider.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${key}`])
    expect(received.join('\n')).not.toContain(key)
    await page.close()
    await until(() => example.honeyhive.events.length >= 1)
    const [event] = example.honeyhive.events as Array<Record<string, any>>
    expect(event.response).toEqual({ role: 'assistant', content: 'Real answer' })
    expect(event.usage).toEqual({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 })
    expect(event.metadata).toMatchObject({ status: 'success', response_model: 'gpt-4o-mini-2026-01-01' })
  })
})
