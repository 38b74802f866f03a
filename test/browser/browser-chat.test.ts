import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { startInspector } from '../../src/inspector/index.js'
import { serve } from '../../src/node.js'
import { createFakeHoneyHive, type FakeHoneyHive } from '../../src/testing.js'
import { hasChromium, launchChromium } from '../helpers/chromium.js'
import { createFakeProvider } from '../helpers/fake-provider.js'

// Real headless Chromium (Debian's /usr/bin/chromium) runs examples/browser-chat with the example's own server
// (run `npx rollup -c` first: it serves dist/): the real openai SDK in the page, each turn logged as a tree
// through the relay on HoneyHive's v1 route, thumbs under each reply sent as feedback with the server's token.
const available = hasChromium
const ci = process.env.CI === 'true'
if (!available && !ci)
  console.warn('[browser-chat suite] skipped: no Chromium. Install it: apt-get install -y chromium')

type V1Event = Record<string, any>
interface Update {
  path: string
  authorization: string | null
  body: Record<string, any>
}
interface Example {
  url: string
  sink: 'honeyhive' | 'dev' | 'embedded'
  close(): Promise<void>
}
interface ExampleOptions {
  openai?: { apiKey?: string; baseUrl?: string }
  honeyhiveKey?: string
  devUrl?: string
  honeyhive?: (request: Request) => Promise<Response>
  onRelayRequest?: (request: Request) => void
}
type StartExample = (options: ExampleOptions) => Promise<Example>
const closers: Array<() => Promise<void>> = []
let context: BrowserContext
let closeChromium: (() => Promise<void>) | undefined
let startExample: StartExample

/** Waits until `check` holds. */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !check() && Date.now() < end;)
    await new Promise((resolve) => setTimeout(resolve, 25))
}

/**
 * The relay's upstream: the fake HoneyHive for batches, and HoneyHive's v1 update route (`PUT /v1/events/{id}`)
 * recorded here, answered 200 as HoneyHive does.
 */
function upstream() {
  const fake: FakeHoneyHive = createFakeHoneyHive({ apiKey: 'honeyhive-edge-dev' })
  const updates: Update[] = []
  const handler = async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url)
    if (request.method !== 'PUT' || !pathname.startsWith('/v1/events/')) return fake(request)
    updates.push({ path: pathname, authorization: request.headers.get('authorization'), body: await request.json() })
    return new Response(null, { status: 200 })
  }
  return { fake, updates, handler }
}

/** Starts the example on the embedded upstream and opens its page. */
async function open(
  options: ExampleOptions = {},
): Promise<{ example: Example; page: Page; up: ReturnType<typeof upstream> }> {
  const up = upstream()
  const example = await startExample({ openai: {}, honeyhiveKey: '', honeyhive: up.handler, ...options })
  closers.push(example.close)
  const page = await context.newPage()
  await page.goto(example.url)
  return { example, page, up }
}

/** Sends `text` and waits for the reply to finish; resolves the turn's event id, as the server handed it out. */
async function say(page: Page, text: string, index: number): Promise<string> {
  const turn = page.waitForResponse((response) => response.url().endsWith('/api/turn'))
  await page.fill('#message', text)
  await page.press('#message', 'Enter')
  const { eventId } = await (await turn).json()
  await page.waitForSelector(`.assistant:nth-of-type(${2 * index + 2}).done`)
  return eventId
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

  test('each turn arrives as a tree on v1: a chain with the model call under it; a stopped turn says so on both', async () => {
    const { page, up } = await open()
    const first = await say(page, 'hello', 0)
    const full = await page.textContent('.assistant.done')
    expect(full).toMatch(/^You said: hello\. /)
    await page.fill('#message', 'tell me more')
    await page.press('#message', 'Enter')
    await page.waitForFunction(() =>
      document.querySelectorAll('.assistant')[1]?.textContent?.includes('You said: tell'),
    )
    await page.click('#stop')
    await page.waitForSelector('.assistant.stopped')
    const partial = await page.textContent('.assistant.stopped')
    expect(partial!.length).toBeLessThan(full!.length)
    await page.close()
    await until(() => up.fake.events.length >= 4)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(up.fake.requests.every((request) => request.path === '/v1/events/batch')).toBe(true)
    const events = up.fake.events as V1Event[]
    expect(events).toHaveLength(4)
    const chains = events.filter((event) => event.event_type === 'chain')
    const models = events.filter((event) => event.event_type === 'model')
    expect(chains.map((chain) => chain.event_name)).toEqual(['chat turn', 'chat turn'])
    // The server's id is the turn's: the feedback token it minted is for this very event.
    expect(chains[0].event_id).toBe(first)
    for (const [index, chain] of chains.entries()) {
      expect(models[index].parent_id).toBe(chain.event_id)
      expect(chain.children_ids).toEqual([models[index].event_id])
      expect(chain.parent_id ?? chain.session_id).toBe(chain.session_id)
      expect(models[index].start_time).toBeGreaterThanOrEqual(chain.start_time)
      expect(models[index].end_time).toBeLessThanOrEqual(chain.end_time)
    }
    const [done, stopped] = models
    expect(done).toMatchObject({
      event_name: 'openai.chat',
      config: { model: 'gpt-4o-mini', provider: 'openai' },
      inputs: { chat_history: [{ role: 'user', content: 'hello' }] },
    })
    expect(done.outputs).toMatchObject({ role: 'assistant', content: full })
    expect(done.metadata).toMatchObject({
      status: 'success',
      finish_reason: 'stop',
      time_to_first_token_ms: expect.any(Number),
    })
    expect(chains[0].outputs).toEqual({ role: 'assistant', content: full })
    expect(stopped.outputs).toMatchObject({ content: partial })
    expect(stopped.metadata).toMatchObject({ status: 'cancelled' })
    expect(chains[1].outputs).toEqual({ role: 'assistant', content: partial })
    expect(chains[1].metadata).toMatchObject({ status: 'cancelled' })
    expect(chains[1].inputs.chat_history).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: full },
      { role: 'user', content: 'tell me more' },
    ])
    expect(new Set(events.map((event) => event.session_id)).size).toBe(1)
  })

  test('thumbs under a delivered reply reach HoneyHive as updates of that turn, through the relay with its key', async () => {
    const { page, up } = await open()
    const sent: Array<{ body: string; authorization?: string }> = []
    page.on('request', (request) => {
      if (request.url().includes('/events/'))
        sent.push({ body: request.postData() ?? '', authorization: request.headers().authorization })
    })
    const turn = await say(page, 'rate me', 0)
    await until(() => up.fake.events.some((event) => event.event_id === turn))
    await page.click('.thumb.up')
    await until(() => up.updates.length >= 1)
    await page.click('.thumb.down')
    await until(() => up.updates.length >= 2)
    expect(up.updates).toEqual([
      { path: `/v1/events/${turn}`, authorization: 'Bearer honeyhive-edge-dev', body: { feedback: { rating: 1 } } },
      { path: `/v1/events/${turn}`, authorization: 'Bearer honeyhive-edge-dev', body: { feedback: { rating: 0 } } },
    ])
    expect(await page.getAttribute('.thumb.down', 'aria-pressed')).toBe('true')
    expect(await page.getAttribute('.thumb.up', 'aria-pressed')).toBe('false')
    // The page sent no key, only the token the server made for this turn.
    const updates = sent.filter((request) => request.body.includes('"feedback"'))
    expect(updates).toHaveLength(2)
    expect(
      updates.every((request) => request.authorization === undefined && /"token":"\d+\.[\w-]{43}"/.test(request.body)),
    ).toBe(true)
  })

  test('a thumb clicked just before the tab closes still arrives (the update leaves at once, with keepalive)', async () => {
    const { page, up } = await open()
    const turn = await say(page, 'bye', 0)
    await until(() => up.fake.events.some((event) => event.event_id === turn))
    await page.click('.thumb.up')
    await page.close({ runBeforeUnload: true })
    await until(() => up.updates.length >= 1)
    const update = {
      path: `/v1/events/${turn}`,
      authorization: 'Bearer honeyhive-edge-dev',
      body: { feedback: { rating: 1 } },
    }
    expect(up.updates).toEqual([update])
  })

  test('a thumb clicked while the turn is queued, then the tab closed: the turn leaves by beacon, feedback in it', async () => {
    const beacons: string[] = []
    const onRelayRequest = async (request: Request) => {
      if (request.headers.get('content-type')?.startsWith('text/plain')) beacons.push(await request.text())
    }
    const { page, up } = await open({ onRelayRequest })
    const turn = await say(page, 'quick', 0)
    await page.click('.thumb.up')
    await page.close()
    await until(() => up.fake.events.some((event) => event.event_id === turn))
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(up.fake.events.find((event) => event.event_id === turn)).toMatchObject({
      event_type: 'chain',
      feedback: { rating: 1 },
    })
    expect(up.updates).toEqual([])
    expect(beacons).toHaveLength(1)
    expect(JSON.parse(beacons[0]).model_events.find((event: V1Event) => event.event_id === turn).feedback).toEqual({
      rating: 1,
    })
  })

  test('with honeyhive-edge dev running, the turns go there: the user sees them in the inspector', async () => {
    const dev = await startInspector({ port: 0 })
    closers.push(dev.close)
    const { example, page } = await open({ devUrl: dev.baseUrl })
    expect(example.sink).toBe('dev')
    await say(page, 'where am I', 0)
    await page.close()
    await until(() => dev.inspector.events().length >= 2)
    expect(dev.inspector.requests().map((request) => request.path)).toContain('/v1/events/batch')
    expect(
      dev.inspector
        .events()
        .map((event) => event.event_name)
        .sort(),
    ).toEqual(['chat turn', 'openai.chat'])
  })

  test('with no honeyhive-edge dev answering, events go to the embedded fake', async () => {
    const closed = await serve(() => new Response('gone'))
    await closed.close()
    const { example, page, up } = await open({ devUrl: closed.url })
    expect(example.sink).toBe('embedded')
    await say(page, 'anyone there', 0)
    await page.close()
    await until(() => up.fake.events.length >= 2)
    expect(up.fake.events).toHaveLength(2)
  })

  test('with an OpenAI key the example server adds it on the way out: the page only ever sends a placeholder', async () => {
    const provider = createFakeProvider()
    const model = await serve(provider)
    closers.push(model.close)
    provider.script('gpt-4o-mini', { text: ['Real ', 'answer'], usage: { input: 5, output: 2 } })
    const key = 'sk-live-held-by-the-server-7f3a'
    const { page, up } = await open({ openai: { apiKey: key, baseUrl: `${model.url}/v1` } })
    const sent: string[] = []
    page.on(
      'request',
      (request) => request.url().endsWith('/v1/chat/completions') && sent.push(request.headers().authorization),
    )
    const received: string[] = []
    page.on('response', async (response) => received.push(await response.text().catch(() => '')))
    await say(page, 'hi', 0)
    expect(await page.textContent('.assistant.done')).toBe('Real answer')
    expect(sent).toEqual(['Bearer held-by-the-server'])
    expect(provider.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${key}`])
    expect(received.join('\n')).not.toContain(key)
    await page.close()
    await until(() => up.fake.events.length >= 2)
    const event = (up.fake.events as V1Event[]).find((item) => item.event_type === 'model')!
    expect(event.outputs).toMatchObject({ role: 'assistant', content: 'Real answer' })
    const usage = { prompt_tokens: 5, completion_tokens: 2 }
    expect(event.metadata).toMatchObject({ status: 'success', ...usage, response_model: 'gpt-4o-mini-2026-01-01' })
  })
})
