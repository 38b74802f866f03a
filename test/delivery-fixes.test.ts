import { afterEach, describe, expect, test, vi } from 'vitest'
import {
  createClient,
  InvalidResponseError,
  type ClientOptions,
  type HoneyHiveError,
  type ModelEvent,
} from '../src/index.js'
import { createFakeHoneyHive } from '../src/testing.js'
import { settle } from './helpers/clock.js'
import { storedIds } from './helpers/fake-server.js'

// Issue 22: what a newcomer and an adversarial review broke in the delivery core. Each server here is the
// fake HoneyHive behind a `fetch` that plays the fault (nothing leaves the process).

const chat = (i: number, extra: ModelEvent = {}): ModelEvent => ({
  model: 'gpt-4o',
  messages: [{ role: 'user', content: `q${i}` }],
  ...extra,
})
const v1 = { route: '/v1/events/batch', apiKey: 'hh-fixes-test-key', dangerouslyAllowBrowser: true } as const

/** A client whose requests go to `serve` (a fetch), collecting what reaches onError and each request's body size and status. */
function setup(serve: (request: Request, n: number) => Promise<Response> | Response, options: ClientOptions = {}) {
  const errors: HoneyHiveError[] = []
  const requests: Array<{ bytes: number; status: number; events: number }> = []
  let n = 0
  const fetch = async (input: Request | string | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const text = await request.clone().text()
    const response = await serve(request, ++n)
    const body = JSON.parse(text) as { model_events?: unknown[]; events?: unknown[] }
    requests.push({
      bytes: text.length,
      status: response.status,
      events: (body.model_events ?? body.events ?? []).length,
    })
    return response
  }
  const hh = createClient({
    baseUrl: 'http://127.0.0.1:9',
    flushIntervalMs: 60_000,
    onError: (error) => errors.push(error),
    fetch,
    ...options,
  })
  return { hh, errors, requests }
}

/** Fakes the clock (timers and Date): the backoffs and deadlines below are advanced, not waited for. */
const useFakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })

afterEach(() => {
  vi.useRealTimers()
})

describe('the delivery core under faults (issue 22)', () => {
  test('flush({ timeoutMs }) keeps trying after the backoff through an outage, within its deadline', async () => {
    useFakeClock()
    const honeyhive = createFakeHoneyHive()
    const downUntil = Date.now() + 1500
    const { hh } = setup(
      (request) => (Date.now() < downUntil ? Promise.reject(new TypeError('fetch failed')) : honeyhive(request)),
      { maxRetries: 1 },
    )
    const ids = [hh.log(chat(1)), hh.log(chat(2)), hh.log(chat(3))]
    const result = await settle(hh.flush({ timeoutMs: 15_000 }))
    expect(result).toEqual({ sent: 3, failed: 0, dropped: 0, queued: 0 })
    expect(storedIds(honeyhive.events)).toEqual(ids)
  }, 20_000)

  test.each([['/events/model/batch'], ['/v1/events/batch']] as const)(
    'on %s, one event the server answers 500 for is isolated: the other 19 are delivered, it alone is given up',
    async (route) => {
      useFakeClock()
      const honeyhive = createFakeHoneyHive()
      const { hh, errors } = setup(
        async (request) =>
          (await request.clone().text()).includes('poison')
            ? new Response('{"message":"boom"}', { status: 500 })
            : honeyhive(request),
        { maxRetries: 1, flushAt: 20, ...(route === v1.route ? v1 : {}) },
      )
      const ids = Array.from({ length: 20 }, (_, i) =>
        hh.log(chat(i, i === 13 ? { metadata: { note: 'poison\u0000' } } : {})),
      )
      const result = await settle(hh.flush({ timeoutMs: 15_000 }))
      expect(storedIds(honeyhive.events).sort()).toEqual(ids.filter((_, i) => i !== 13).sort())
      expect(result).toMatchObject({ sent: 19, dropped: 1, queued: 0 })
      expect(errors.some((error) => error.name === 'DroppedError' && error.eventIds.join() === ids[13])).toBe(true)
    },
    20_000,
  )

  test('an outage of 500s is not bisected into a request per event: two extra requests per round at most', async () => {
    useFakeClock()
    const { hh, requests } = setup(() => new Response('{}', { status: 500 }), {
      maxRetries: 1,
      flushAt: 16,
      maxQueueSize: 100,
    })
    for (let i = 0; i < 15; i++) hh.log(chat(i))
    await settle(hh.flush())
    // One round: 2 attempts of the batch, then each half once.
    expect(requests.map((request) => request.events)).toEqual([15, 15, 8, 7])
  })

  test('a 2xx that is not HoneyHive’s answer (a login page) is not counted as sent: the events are kept and delivered later', async () => {
    useFakeClock()
    const honeyhive = createFakeHoneyHive()
    const { hh, errors } = setup((request, n) =>
      n <= 2
        ? new Response('<html>Sign in</html>', { status: 200, headers: { 'content-type': 'text/html' } })
        : honeyhive(request),
    )
    const ids = [hh.log(chat(1)), hh.log(chat(2))]
    const first = await settle(hh.flush())
    expect(first).toMatchObject({ sent: 0, queued: 2 })
    expect(errors[0]).toBeInstanceOf(InvalidResponseError)
    const later = await settle(hh.flush({ timeoutMs: 10_000 }))
    expect(later).toMatchObject({ sent: 2, queued: 0 })
    expect(storedIds(honeyhive.events)).toEqual(ids)
    expect(hh.stats().sent).toBe(2)
  }, 15_000)

  test('a 2xx page that never turns into HoneyHive is given up after maxSends, never counted as sent', async () => {
    useFakeClock()
    const { hh, errors } = setup(() => new Response('<html>maintenance</html>', { status: 200 }), { maxRetries: 0 })
    hh.log(chat(1))
    const result = await settle(hh.flush({ timeoutMs: 10_000 }))
    expect(result).toMatchObject({ sent: 0, dropped: 1, queued: 0 })
    expect(errors.at(-1)).toMatchObject({ name: 'DroppedError', reason: 'max_sends' })
  }, 15_000)

  test('one 413 for a 100 KB paste behind a 64 KB proxy does not shrink later batches', async () => {
    const honeyhive = createFakeHoneyHive()
    const { hh, requests } = setup(
      async (request) =>
        (await request.clone().text()).length > 64 * 1024 ? new Response(null, { status: 413 }) : honeyhive(request),
      { flushAt: 20 },
    )
    hh.log(chat(0, { metadata: { paste: 'x'.repeat(100_000) } }))
    for (let i = 1; i < 20; i++) hh.log(chat(i))
    await hh.flush()
    expect(honeyhive.events).toHaveLength(19)
    requests.length = 0
    for (let i = 0; i < 100; i++) hh.log(chat(100 + i))
    await hh.flush()
    expect(honeyhive.events).toHaveLength(119)
    expect(requests.map((request) => request.events)).toEqual([20, 20, 20, 20, 20])
  })

  test('joining the session the server answered moves each waiting event by its own session_id, never nested members', async () => {
    const honeyhive = createFakeHoneyHive()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { hh } = setup(
      async (request, n) => {
        if (n === 1) await gate
        return honeyhive(request)
      },
      { singleSession: true, flushAt: 1 },
    )
    const mine = hh.sessionId
    hh.log(chat(1))
    const nested = { metadata: { session_id: mine, conversation: `session ${mine}` }, inputs: { session_id: mine } }
    const second = hh.log(chat(2, nested))
    release()
    await hh.flush()
    const made = honeyhive.events[0].session_id
    expect(made).not.toBe(mine)
    const stored = honeyhive.events.find((event) => event.event_id === second)!
    expect(stored.session_id).toBe(made)
    expect(stored.metadata).toEqual(nested.metadata)
    expect(stored.inputs).toEqual(nested.inputs)
    expect(hh.sessionId).toBe(made)
  })
})
