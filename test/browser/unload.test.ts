import { readFileSync } from 'node:fs'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { serve } from '../../src/node.js'
import { createFakeHoneyHive, type FakeHoneyHive, type FakeHoneyHiveOptions } from '../../src/testing.js'
import type { ClientOptions, ModelEvent } from '../../src/index.js'
import { hasChromium, launchChromium } from '../helpers/chromium.js'

// Real headless Chromium (Debian's /usr/bin/chromium, never a downloaded one) loads the *built* bundle
// from a loopback page server; the tests close the page or navigate away and look at what the fake got.
const available = hasChromium
const ci = process.env.CI === 'true'
if (!available && !ci) console.warn('[browser suite] skipped: no Chromium. Install it: apt-get install -y chromium')

const bundle = readFileSync(new URL('../../dist/honeyhive-edge.min.js', import.meta.url))
const closers: Array<() => Promise<void>> = []
let context: BrowserContext
let closeChromium: (() => Promise<void>) | undefined

/** Serves `handler` on 127.0.0.1, closed after the test. */
async function start(handler: (request: Request) => Promise<Response> | Response) {
  const server = await serve(handler)
  closers.push(server.close)
  return server.url
}

// The page hands the bundle's createClient to the tests (page.evaluate cannot import: vitest rewrites import()).
const testPage = `<!doctype html><title>test</title><script type="module">
import { createClient } from '/honeyhive-edge.min.js'
globalThis.createClient = createClient
</script>`

/** A fake HoneyHive on its own origin, and a page origin that serves the bundle and the same fake. */
async function setup(options: FakeHoneyHiveOptions = {}) {
  const honeyhive = createFakeHoneyHive(options)
  const page = await start((request) => {
    const { pathname } = new URL(request.url)
    if (pathname.startsWith('/events/')) return honeyhive(request)
    if (pathname === '/honeyhive-edge.min.js')
      return new Response(bundle, { headers: { 'content-type': 'text/javascript' } })
    return new Response(testPage, { headers: { 'content-type': 'text/html' } })
  })
  const other = await start(honeyhive)
  return { honeyhive, pageOrigin: page, otherOrigin: other }
}

/** Opens the page, creates a client there and logs `count` events of about 1 KiB; resolves their ids. */
async function logInPage(
  origin: string,
  options: ClientOptions,
  count: number,
  from = 0,
): Promise<{ page: Page; ids: string[] }> {
  const page = await context.newPage()
  await page.goto(`${origin}/`)
  await page.waitForFunction(() => 'createClient' in globalThis)
  const ids = await page.evaluate(
    ({ options, count, from }) => {
      const hh = (
        globalThis as unknown as { createClient: typeof import('../../src/index.js').createClient }
      ).createClient(options)
      ;(globalThis as { hh?: unknown }).hh = hh
      const ids: string[] = []
      for (let i = from; i < from + count; i++) {
        ids.push(
          hh.log({
            model: 'gpt-4o',
            provider: 'openai',
            messages: [{ role: 'user', content: `${i} ${'q'.repeat(900)}` }],
            metadata: { i },
          }),
        )
      }
      return ids
    },
    { options: { flushAt: 1000, flushIntervalMs: 60_000, ...options }, count, from },
  )
  return { page, ids }
}

/** Waits until `check` holds (the browser sends beacons after the page is gone). */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !check() && Date.now() < end;)
    await new Promise((resolve) => setTimeout(resolve, 25))
}

const posts = (honeyhive: FakeHoneyHive) => honeyhive.requests.filter((request) => request.method === 'POST')
const ids = (events: ModelEvent[]) => events.map((event) => event.event_id)

describe.skipIf(!available && !ci)('page unload in headless Chromium', () => {
  beforeAll(async () => {
    ;({ context, close: closeChromium } = await launchChromium())
  })
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })
  afterAll(async () => {
    await closeChromium?.()
  })

  test('40 events of 1 KiB still queued when the tab closes arrive by one text/plain beacon', async () => {
    const { honeyhive, pageOrigin } = await setup()
    const { page, ids: logged } = await logInPage(pageOrigin, { baseUrl: pageOrigin }, 40)
    expect(honeyhive.events).toHaveLength(0)
    await page.close()
    await until(() => honeyhive.events.length >= 40)
    expect(ids(honeyhive.events)).toEqual(logged)
    expect(posts(honeyhive).map((request) => [request.status, request.headers['content-type']])).toEqual([
      [200, 'text/plain'],
    ])
  })

  test('300 events of 1 KiB arrive in full, once each, when the page is opened again after closing', async () => {
    const { honeyhive, pageOrigin } = await setup()
    const first = await logInPage(pageOrigin, { baseUrl: pageOrigin }, 300)
    await first.page.close()
    await until(() => honeyhive.events.length > 0)
    const beaconed = honeyhive.events.length
    // Under the 64 KiB quota: about 55 events of ~1.05 KiB go by beacon, the rest wait in localStorage.
    expect(beaconed).toBeGreaterThan(40)
    expect(beaconed).toBeLessThan(62)
    const second = await logInPage(pageOrigin, { baseUrl: pageOrigin }, 0)
    await until(() => honeyhive.events.length >= 300)
    expect(ids(honeyhive.events)).toEqual(first.ids)
    expect(await second.page.evaluate(() => Object.keys(localStorage))).toEqual([])
    // Opening a third page sends nothing again: the leftovers were claimed once.
    const third = await logInPage(pageOrigin, { baseUrl: pageOrigin }, 0)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(honeyhive.events).toHaveLength(300)
    await Promise.all([second.page.close(), third.page.close()])
  })

  test('two closed tabs leave more than the next queue holds: it claims what fits, then the rest, dropping none', async () => {
    const { honeyhive, pageOrigin } = await setup()
    const tabs = [
      await logInPage(pageOrigin, { baseUrl: pageOrigin }, 300),
      await logInPage(pageOrigin, { baseUrl: pageOrigin }, 300, 300),
    ]
    for (const tab of tabs) await tab.page.close()
    await until(() => honeyhive.events.length > 0)
    // Each tab beacons ~55 events and stores the rest: ~490 wait for a queue of 300.
    const next = await logInPage(pageOrigin, { baseUrl: pageOrigin, maxQueueSize: 300 }, 0)
    await until(() => honeyhive.events.length >= 600, 10_000)
    expect([...ids(honeyhive.events)].sort()).toEqual([...tabs[0].ids, ...tabs[1].ids].sort())
    // The fake may count the last batch before the page has read its answer: flush() waits for it.
    const stats = await next.page.evaluate(async () => {
      const { hh } = globalThis as unknown as { hh: { flush(): Promise<unknown>; stats(): object } }
      await hh.flush()
      return hh.stats()
    })
    expect(stats).toMatchObject({ dropped: 0, queued: 0 })
    expect(await next.page.evaluate(() => Object.keys(localStorage))).toEqual([])
    await next.page.close()
  })

  test('two tabs opening at once claim the stored leftovers once: no event arrives twice (8 trials)', async () => {
    for (let trial = 0; trial < 8; trial++) {
      const { honeyhive, pageOrigin } = await setup()
      const first = await logInPage(pageOrigin, { baseUrl: pageOrigin }, 150)
      // Navigating away hides the page like a close; the leftovers' localStorage write reaches other pages
      // asynchronously, so the race starts once a page of the origin sees it.
      await first.page.goto('about:blank')
      await until(() => honeyhive.events.length > 0)
      const probe = await context.newPage()
      await probe.goto(`${pageOrigin}/probe`)
      await probe.waitForFunction(() => Object.keys(localStorage).length > 0, undefined, { timeout: 5000 })
      await Promise.all([probe.close(), first.page.close()])
      // Both tabs loaded first, then both clients created in the same millisecond.
      const tabs = await Promise.all(
        [0, 1].map(async () => {
          const page = await context.newPage()
          await page.goto(`${pageOrigin}/`)
          await page.waitForFunction(() => 'createClient' in globalThis)
          return page
        }),
      )
      const at = Date.now() + 300
      await Promise.all(
        tabs.map((page) =>
          page.evaluate(
            ({ at, baseUrl }) =>
              new Promise<void>((resolve) =>
                setTimeout(() => {
                  ;(
                    globalThis as unknown as { createClient: typeof import('../../src/index.js').createClient }
                  ).createClient({ baseUrl, flushIntervalMs: 60_000 })
                  resolve()
                }, at - Date.now()),
              ),
            { at, baseUrl: pageOrigin },
          ),
        ),
      )
      await until(() => honeyhive.events.length >= 150)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(ids(honeyhive.events), `trial ${trial}`).toEqual(first.ids)
      await Promise.all(tabs.map((page) => page.close()))
    }
  }, 60_000)

  test('a tab storing leftovers while another tab claims them: every event arrives exactly once (600 events)', async () => {
    const { honeyhive, pageOrigin } = await setup()
    const [storing, claiming] = await Promise.all(
      [0, 1].map(async () => {
        const page = await context.newPage()
        await page.goto(`${pageOrigin}/`)
        await page.waitForFunction(() => 'createClient' in globalThis)
        return page
      }),
    )
    type Create = typeof import('../../src/index.js').createClient
    // Every hide of the storing tab stores: a beaconUrl Chromium refuses makes sendBeacon throw. Its hides are
    // the events the client listens to, dispatched, while the other tab keeps claiming.
    const stored = storing.evaluate(
      async ({ baseUrl }) => {
        const hh = (globalThis as unknown as { createClient: Create }).createClient({
          baseUrl,
          beaconUrl: 'http://[bad',
          flushAt: 1000,
          flushIntervalMs: 60_000,
        })
        const ids: string[] = []
        for (let round = 0; round < 60; round++) {
          for (let i = 0; i < 10; i++) ids.push(hh.log({ model: 'gpt-4o', metadata: { round, i } }))
          dispatchEvent(new Event('pagehide'))
          dispatchEvent(new Event('pageshow'))
          await new Promise((resolve) => setTimeout(resolve, 3))
        }
        return ids
      },
      { baseUrl: pageOrigin },
    )
    const claims = claiming.evaluate(
      async ({ baseUrl }) => {
        for (let n = 0; n < 60; n++) {
          ;(globalThis as unknown as { createClient: Create }).createClient({ baseUrl, flushIntervalMs: 60_000 })
          await new Promise((resolve) => setTimeout(resolve, 3))
        }
      },
      { baseUrl: pageOrigin },
    )
    const [logged] = await Promise.all([stored, claims])
    // The last stores reach the claiming tab's copy of localStorage asynchronously: claim until none is left.
    for (let n = 0; n < 20 && honeyhive.events.length < logged.length; n++) {
      await claiming.evaluate(
        ({ baseUrl }) =>
          void (globalThis as unknown as { createClient: Create }).createClient({ baseUrl, flushIntervalMs: 60_000 }),
        { baseUrl: pageOrigin },
      )
      await until(() => honeyhive.events.length >= logged.length, 250)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    const copies = new Map<string, number>()
    for (const id of ids(honeyhive.events)) copies.set(id!, (copies.get(id!) ?? 0) + 1)
    expect(logged).toHaveLength(600)
    expect(honeyhive.events.length, 'events stored').toBe(600)
    expect(
      logged.filter((id) => copies.get(id) !== 1),
      'events not stored exactly once',
    ).toEqual([])
    await Promise.all([storing.close(), claiming.close()])
  }, 30_000)

  test('an event the app logs from its own pagehide handler (after ours ran) still arrives when the tab closes', async () => {
    const { honeyhive, pageOrigin } = await setup()
    const { page, ids: logged } = await logInPage(pageOrigin, { baseUrl: pageOrigin }, 2)
    const last = await page.evaluate(() => {
      const hh = (globalThis as unknown as { hh: ReturnType<typeof import('../../src/index.js').createClient> }).hh
      const id = crypto.randomUUID()
      addEventListener('pagehide', () => hh.log({ event_id: id, model: 'gpt-4o', metadata: { closing: true } }))
      return id
    })
    await page.close()
    await until(() => honeyhive.events.length >= 3)
    expect(ids(honeyhive.events)).toEqual([...logged, last])
  })

  test('with an apiKey, events left on navigation arrive cross-origin by keepalive fetch with the Authorization header', async () => {
    const key = 'hh-browser-test-key-7f2a'
    const { honeyhive, pageOrigin, otherOrigin } = await setup({ apiKey: key })
    const { page, ids: logged } = await logInPage(
      pageOrigin,
      { baseUrl: otherOrigin, apiKey: key, dangerouslyAllowBrowser: true },
      10,
    )
    await page.goto('about:blank')
    await until(() => honeyhive.events.length >= 10)
    expect(ids(honeyhive.events)).toEqual(logged)
    const [post] = posts(honeyhive)
    expect(post.headers.authorization).toBe(`Bearer ${key}`)
    expect(post.status).toBe(200)
    await page.close()
  })

  test('an apiKey in a page without dangerouslyAllowBrowser is a ConfigError pointing at the relay, and nothing is sent', async () => {
    const key = 'hh-browser-refused-key-51e0'
    const { honeyhive, pageOrigin, otherOrigin } = await setup({ apiKey: key })
    const page = await context.newPage()
    await page.goto(`${pageOrigin}/`)
    await page.waitForFunction(() => 'createClient' in globalThis)
    const thrown = await page.evaluate(
      ({ key, baseUrl }) => {
        const { createClient } = globalThis as unknown as {
          createClient: typeof import('../../src/index.js').createClient
        }
        try {
          createClient({ apiKey: key, baseUrl }).log({ model: 'gpt-4o' })
        } catch (error) {
          return {
            name: (error as Error).name,
            option: (error as { option?: string }).option,
            message: (error as Error).message,
          }
        }
        return undefined
      },
      { key, baseUrl: otherOrigin },
    )
    expect(thrown).toMatchObject({ name: 'ConfigError', option: 'apiKey' })
    expect(thrown!.message).toContain('relay')
    expect(thrown!.message).not.toContain(key)
    await page.close()
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(honeyhive.requests).toEqual([])
  })

  test('on the v1 route, events left on navigation arrive by keepalive fetch in the v1 format', async () => {
    const key = 'hh-browser-v1-key-3c9d'
    const { honeyhive, pageOrigin, otherOrigin } = await setup({ apiKey: key })
    const { page, ids: logged } = await logInPage(
      pageOrigin,
      { baseUrl: otherOrigin, apiKey: key, dangerouslyAllowBrowser: true, route: '/v1/events/batch' },
      10,
    )
    await page.goto('about:blank')
    await until(() => honeyhive.events.length >= 10)
    expect(ids(honeyhive.events)).toEqual(logged)
    expect(posts(honeyhive).map((request) => [request.path, request.status])).toEqual([['/v1/events/batch', 200]])
    expect(honeyhive.events[0]).toMatchObject({
      event_type: 'model',
      config: { model: 'gpt-4o', provider: 'openai' },
      inputs: { chat_history: [{ role: 'user' }] },
    })
    await page.close()
  })

  test('cross-origin text/plain beacons arrive at an endpoint that answers no CORS at all', async () => {
    const { honeyhive, pageOrigin, otherOrigin } = await setup({ cors: false })
    const { page, ids: logged } = await logInPage(pageOrigin, { baseUrl: otherOrigin }, 5)
    await page.close()
    await until(() => honeyhive.events.length >= 5)
    expect(ids(honeyhive.events)).toEqual(logged)
    expect(honeyhive.requests.map((request) => request.method)).toEqual(['POST'])
  })

  test('a batch already in flight when the tab closes arrives once: the beacon carries only the events after it', async () => {
    const { honeyhive, pageOrigin } = await setup()
    honeyhive.fail({ delayMs: 400 })
    const { page, ids: logged } = await logInPage(pageOrigin, { baseUrl: pageOrigin, flushAt: 20 }, 25)
    await until(() => honeyhive.requests.length > 0)
    await page.close()
    await until(() => honeyhive.events.length >= 25)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect([...ids(honeyhive.events)].sort()).toEqual([...logged].sort())
    expect(
      posts(honeyhive)
        .map((request) => request.headers['content-type'])
        .sort(),
    ).toEqual(['application/json', 'text/plain'])
  })

  test('singleSession: a page hidden while the first batch is in flight sends the rest after its answer, into that one session', async () => {
    const { honeyhive, pageOrigin } = await setup()
    honeyhive.fail({ delayMs: 600 })
    const options = {
      baseUrl: pageOrigin,
      flushAt: 20,
      singleSession: true,
      sessionProperties: { session_name: 'support chat' },
    }
    const { page, ids: logged } = await logInPage(pageOrigin, options, 25)
    await until(() => honeyhive.requests.length > 0)
    // Hidden, as a tab switch or a phone's app switch hides it: the page lives on (visibilitychange only).
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    await until(() => honeyhive.events.length >= 25)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect([...ids(honeyhive.events)].sort()).toEqual([...logged].sort())
    expect(honeyhive.sessions.map((session) => [session.properties, session.events.length])).toEqual([
      [{ session_name: 'support chat' }, 25],
    ])
    const sent = posts(honeyhive).map((request) => [
      request.headers['content-type'],
      'single_session' in (request.body as object),
    ])
    expect(sent).toEqual([
      ['application/json', true],
      ['text/plain', false],
    ])
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([])
    await page.close()
  })

  test('singleSession: a page hidden before its first batch went, then shown again, keeps one conversation in one session', async () => {
    const { honeyhive, pageOrigin } = await setup()
    const options = { baseUrl: pageOrigin, singleSession: true, sessionProperties: { session_name: 'support chat' } }
    const { page, ids: logged } = await logInPage(pageOrigin, options, 3)
    const show = (state: string) =>
      page.evaluate((state) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state })
        document.dispatchEvent(new Event('visibilitychange'))
      }, state)
    const log = (text: string) =>
      page.evaluate(
        (text) =>
          (globalThis as unknown as { hh: { log(event: object): string } }).hh.log({
            model: 'gpt-4o',
            metadata: { text },
          }),
        text,
      )
    // A tab switch within the flush interval, an event logged in the background tab, the user back, a new turn.
    await show('hidden')
    logged.push(await log('reply done while hidden'))
    await new Promise((resolve) => setTimeout(resolve, 300))
    await show('visible')
    logged.push(await log('turn 2'))
    await page.evaluate(() => (globalThis as unknown as { hh: { flush(): Promise<unknown> } }).hh.flush())
    await until(() => honeyhive.events.length >= logged.length)
    expect([...ids(honeyhive.events)].sort()).toEqual([...logged].sort())
    expect(honeyhive.sessions.map((session) => [session.properties, session.events.length])).toEqual([
      [{ session_name: 'support chat' }, logged.length],
    ])
    expect(posts(honeyhive).filter((request) => 'single_session' in (request.body as object))).toHaveLength(1)
    await page.close()
  })

  test("singleSession: another page's leftovers go in requests of their own, so they stay in that page's session", async () => {
    const { honeyhive, pageOrigin } = await setup()
    const single = (name: string) => ({
      baseUrl: pageOrigin,
      singleSession: true,
      sessionProperties: { session_name: name },
    })
    // Page A: its session made by its first batch, then 150 events queued when the tab closes.
    const a = await logInPage(pageOrigin, single('conversation A'), 1)
    await a.page.evaluate(() => (globalThis as unknown as { hh: { flush(): Promise<unknown> } }).hh.flush())
    const sessionA = honeyhive.sessions[0].session_id
    const more = await a.page.evaluate(() => {
      const { hh } = globalThis as unknown as { hh: { log(event: object): string } }
      return Array.from({ length: 150 }, (_, i) =>
        hh.log({ model: 'gpt-4o', messages: [{ role: 'user', content: `${i} ${'q'.repeat(900)}` }] }),
      )
    })
    await a.page.close()
    await until(() => honeyhive.events.length > 1)
    // Page B, another conversation: it claims A's leftovers as it starts, and logs its own first event.
    const b = await logInPage(pageOrigin, { ...single('conversation B'), flushAt: 20 }, 1)
    await b.page.evaluate(() => (globalThis as unknown as { hh: { flush(): Promise<unknown> } }).hh.flush())
    await until(() => honeyhive.events.length >= 152)
    const inSession = (id: string) =>
      honeyhive.events.filter((event) => event.session_id === id).map((event) => event.event_id)
    expect(inSession(sessionA).sort()).toEqual([...a.ids, ...more].sort())
    expect(honeyhive.sessions.map((session) => [session.properties?.session_name, session.events.length])).toEqual([
      ['conversation A', 151],
      ['conversation B', 1],
    ])
    await b.page.close()
  })

  test('singleSession: a tab closed while the first batch is in flight sends the rest at once, and only that batch makes a session', async () => {
    const { honeyhive, pageOrigin } = await setup()
    honeyhive.fail({ delayMs: 600 })
    const options = {
      baseUrl: pageOrigin,
      flushAt: 20,
      singleSession: true,
      sessionProperties: { session_name: 'support chat' },
    }
    const { page, ids: logged } = await logInPage(pageOrigin, options, 25)
    await until(() => honeyhive.requests.length > 0)
    await page.close()
    await until(() => honeyhive.events.length >= 25)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect([...ids(honeyhive.events)].sort()).toEqual([...logged].sort())
    // The beacon cannot know the session the batch will be answered with: its events keep the client's own id.
    const sent = posts(honeyhive).map((request) => [
      request.headers['content-type'],
      'single_session' in (request.body as object),
    ])
    expect(sent.sort()).toEqual([
      ['application/json', true],
      ['text/plain', false],
    ])
    expect(honeyhive.sessions.filter((session) => session.properties)).toHaveLength(1)
  })

  test('ordinary batches use keepalive while they fit 48 KiB in flight, and plain requests when bigger', async () => {
    const { honeyhive, pageOrigin } = await setup()
    const { page } = await logInPage(pageOrigin, { baseUrl: pageOrigin, flushAt: 100 }, 0)
    const keepalive = await page.evaluate(async () => {
      const seen: boolean[] = []
      const original = globalThis.fetch
      globalThis.fetch = (input, init) => {
        seen.push(input instanceof Request ? input.keepalive : init?.keepalive === true)
        return original(input, init)
      }
      const hh = (globalThis as unknown as { hh: ReturnType<typeof import('../../src/index.js').createClient> }).hh
      for (const count of [10, 60]) {
        for (let i = 0; i < count; i++)
          hh.log({ model: 'gpt-4o', messages: [{ role: 'user', content: 'q'.repeat(1000) }] })
        await hh.flush()
      }
      return seen
    })
    expect(keepalive).toEqual([true, false])
    expect(honeyhive.events).toHaveLength(70)
    await page.close()
  })
})
