import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import {
  createClient,
  DroppedError,
  type ClientOptions,
  type HoneyHiveError,
  type ModelEvent,
} from '../../src/index.js'
import { posts, startFakeHoneyHive, storedIds } from '../helpers/fake-server.js'
import { createRelay } from '../../src/relay.js'
import { createFakeHoneyHive } from '../../src/testing.js'

// happy-dom never hides a page on its own (field notes §2): the tests set visibilityState and dispatch
// the lifecycle events, and observe navigator.sendBeacon / fetch with spies.
const baseUrl = 'http://127.0.0.1:9'
const batchUrl = `${baseUrl}/events/model/batch`
const storageKey = `honeyhive-edge:${batchUrl}`
type Body = { model_events: ModelEvent[]; single_session?: boolean }

let visibility = 'visible'
const clients: Array<{ shutdown(options?: { timeoutMs?: number }): Promise<unknown> }> = []
beforeEach(() => {
  localStorage.clear()
  visibility = 'visible'
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility })
})
afterEach(async () => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
  // No deadline to wait out: the tests' server is a closed port.
  await Promise.all(clients.splice(0).map((client) => client.shutdown({ timeoutMs: 0 })))
})

/** Beacons the page sent: url, content type and parsed body. `accept` decides what the browser takes. */
function watchBeacons(accept: (bytes: number) => boolean = () => true) {
  const sent: Array<{ url: string; type: string; bytes: number; body: Body }> = []
  const pending: Array<Promise<void>> = []
  const spy = vi.spyOn(navigator, 'sendBeacon').mockImplementation((url, data) => {
    const blob = data as Blob
    if (!accept(blob.size)) return false
    pending.push(
      blob
        .text()
        .then(
          (text) => void sent.push({ url: String(url), type: blob.type, bytes: blob.size, body: JSON.parse(text) }),
        ),
    )
    return true
  })
  return {
    spy,
    read: async () => {
      await Promise.all(pending)
      return sent
    },
  }
}

function client(options: ClientOptions = {}) {
  const errors: HoneyHiveError[] = []
  const hh = createClient({
    baseUrl,
    flushAt: 1000,
    flushIntervalMs: 60_000,
    onError: (error) => errors.push(error),
    ...options,
  })
  clients.push(hh)
  return { hh, errors }
}

/** Logs `count` events of about `size` bytes; returns their ids. */
const logMany = (hh: ReturnType<typeof client>['hh'], count: number, size = 1000) =>
  Array.from({ length: count }, (_, i) =>
    hh.log({ model: 'gpt-4o', messages: [{ role: 'user', content: `${i} ${'x'.repeat(size)}` }] }),
  )

function hide(by: 'visibilitychange' | 'pagehide' = 'visibilitychange'): void {
  visibility = 'hidden'
  if (by === 'visibilitychange') document.dispatchEvent(new Event('visibilitychange'))
  else window.dispatchEvent(new Event('pagehide'))
}
function show(): void {
  visibility = 'visible'
  document.dispatchEvent(new Event('visibilitychange'))
}
/** What is stored for `url` (one key per page and target), as one array, or null when nothing is. */
function storedFor(url = batchUrl): ModelEvent[] | null {
  const keys = Object.keys(localStorage).filter(
    (name) => name === `honeyhive-edge:${url}` || name.startsWith(`honeyhive-edge:${url}:`),
  )
  return keys.length === 0 ? null : keys.flatMap((name) => JSON.parse(localStorage.getItem(name)!) as ModelEvent[])
}
const stored = (): string[] => (storedFor() ?? []).map((event) => event.event_id!)
const beaconIds = (sent: Array<{ body: Body }>) =>
  sent.flatMap((beacon) => beacon.body.model_events.map((event) => event.event_id))

describe('detection', () => {
  test('a hidden page sends the queue once, whichever of visibilitychange and pagehide comes first', async () => {
    for (const [first, second] of [
      ['visibilitychange', 'pagehide'],
      ['pagehide', 'visibilitychange'],
    ] as const) {
      const beacons = watchBeacons()
      // Session fields ride in the beacon (with singleSession a page only hidden first sends an answered
      // request instead: test/browser/unload.test.ts).
      const { hh } = client({ sessionProperties: { session_name: 'chat' } })
      const ids = logMany(hh, 3, 10)
      hide(first)
      hide(second)
      const sent = await beacons.read()
      expect(sent).toHaveLength(1)
      expect(sent[0]).toMatchObject({
        url: batchUrl,
        type: 'text/plain',
        body: { session_properties: { session_name: 'chat' } },
      })
      expect(beaconIds(sent)).toEqual(ids)
      expect(hh.stats().queued).toBe(0)
      await hh.shutdown()
      show()
      vi.restoreAllMocks()
    }
  })

  test('a page shown again keeps its queue until the next hide, which drains again', async () => {
    const beacons = watchBeacons()
    const { hh } = client()
    logMany(hh, 2, 10)
    hide()
    show()
    const later = logMany(hh, 2, 10)
    document.dispatchEvent(new Event('visibilitychange'))
    expect(beacons.spy).toHaveBeenCalledTimes(1)
    expect(hh.stats().queued).toBe(2)
    hide('pagehide')
    const sent = await beacons.read()
    expect(sent).toHaveLength(2)
    expect(beaconIds(sent.slice(1))).toEqual(later)
  })

  test('events logged while the page is hidden go out at once, one send per task, as a hide sends', async () => {
    const beacons = watchBeacons()
    const { hh } = client()
    logMany(hh, 2, 10)
    hide()
    const later = logMany(hh, 3, 10)
    expect(hh.stats().queued).toBe(3)
    await Promise.resolve()
    expect(hh.stats().queued).toBe(0)
    const sent = await beacons.read()
    expect(sent).toHaveLength(2)
    expect(beaconIds(sent.slice(1))).toEqual(later)
    show()
    logMany(hh, 1, 10)
    await Promise.resolve()
    expect(beacons.spy).toHaveBeenCalledTimes(2)
    expect(hh.stats().queued).toBe(1)
  })

  test("an event the app's own pagehide handler logs (it runs after ours) is sent before the page goes", async () => {
    const beacons = watchBeacons()
    const { hh } = client()
    const first = logMany(hh, 1, 10)
    let last: string[] = []
    const onPageHide = () => (last = logMany(hh, 2, 10))
    window.addEventListener('pagehide', onPageHide)
    try {
      hide('pagehide')
      await Promise.resolve()
      const sent = await beacons.read()
      expect(sent.map((beacon) => beaconIds([beacon]))).toEqual([first, last])
    } finally {
      window.removeEventListener('pagehide', onPageHide)
    }
  })

  test('shutdown() removes the listeners it added, and a hidden page then sends nothing', async () => {
    const added = [vi.spyOn(document, 'addEventListener'), vi.spyOn(window, 'addEventListener')]
    const removed = [vi.spyOn(document, 'removeEventListener'), vi.spyOn(window, 'removeEventListener')]
    const beacons = watchBeacons()
    const { hh } = client()
    const listeners = added.flatMap((spy) => spy.mock.calls.map(([type, listener]) => [type, listener]))
    expect(listeners.map(([type]) => type).sort()).toEqual(['pagehide', 'pageshow', 'visibilitychange'])
    await hh.shutdown()
    const gone = removed.flatMap((spy) => spy.mock.calls.map(([type, listener]) => [type, listener]))
    for (const listener of listeners) expect(gone).toContainEqual(listener)
    for (const spy of [...added, ...removed]) spy.mockRestore()
    hh.log({ model: 'late' })
    hide()
    hide('pagehide')
    expect(beacons.spy).not.toHaveBeenCalled()
  })

  test('beacons go to beaconUrl when it is set', async () => {
    const beacons = watchBeacons()
    const { hh } = client({ beaconUrl: 'https://relay.example.com/hh' })
    const ids = logMany(hh, 1, 10)
    hide()
    const sent = await beacons.read()
    expect(sent.map((beacon) => beacon.url)).toEqual(['https://relay.example.com/hh'])
    expect(beaconIds(sent)).toEqual(ids)
  })
})

describe('chunks under the keepalive quota', () => {
  test('sends what fits in 60 000 bytes by beacon and stores the rest, in order', async () => {
    const beacons = watchBeacons()
    const { hh, errors } = client()
    const ids = logMany(hh, 100)
    hide()
    const sent = await beacons.read()
    expect(sent).toHaveLength(1)
    expect(sent[0].bytes).toBeLessThanOrEqual(60_000)
    expect(sent[0].bytes).toBeGreaterThan(58_000)
    expect([...beaconIds(sent), ...stored()]).toEqual(ids)
    expect(errors).toEqual([])
  })

  test('an event bigger than a beacon may carry is stored, and no empty beacon is sent', async () => {
    const beacons = watchBeacons()
    const { hh, errors } = client()
    const ids = logMany(hh, 2, 70_000)
    hide()
    expect(await beacons.read()).toEqual([])
    expect(beacons.spy).not.toHaveBeenCalled()
    expect(stored()).toEqual(ids)
    expect(errors).toEqual([])
  })

  test('a refused beacon is split in half until the browser takes the parts', async () => {
    const beacons = watchBeacons((bytes) => bytes <= 10_000)
    const { hh } = client()
    const ids = logMany(hh, 30)
    hide()
    const sent = await beacons.read()
    expect(sent.length).toBeGreaterThan(3)
    expect(sent.every((beacon) => beacon.bytes <= 10_000)).toBe(true)
    expect(beaconIds(sent)).toEqual(ids)
    expect(storedFor()).toBeNull()
  })

  test('events the browser refuses even one at a time are stored, not lost', async () => {
    const beacons = watchBeacons(() => false)
    const { hh, errors } = client()
    const ids = logMany(hh, 5)
    hide()
    expect(beacons.spy).toHaveBeenCalled()
    expect(stored()).toEqual(ids)
    expect(errors).toEqual([])
  })

  test('a sendBeacon that throws (a bad beaconUrl) leaves the events in storage, and the hide does not throw', () => {
    vi.spyOn(navigator, 'sendBeacon').mockImplementation(() => {
      throw new TypeError("Failed to execute 'sendBeacon' on 'Navigator': Invalid URL")
    })
    const { hh, errors } = client({ beaconUrl: 'http://[bad' })
    const ids = logMany(hh, 3, 10)
    expect(() => hide()).not.toThrow()
    expect(stored()).toEqual(ids)
    expect(errors).toEqual([])
  })

  test('with an apiKey, a keepalive fetch carries the Authorization header instead of a beacon', async () => {
    const beacons = watchBeacons()
    const fetch = vi.fn(async () => new Response('{"event_ids":[],"success":true}'))
    const { hh } = client({ apiKey: 'hh-dom-key', dangerouslyAllowBrowser: true, fetch })
    const ids = logMany(hh, 3, 10)
    hide()
    expect(beacons.spy).not.toHaveBeenCalled()
    expect(fetch).toHaveBeenCalledTimes(1)
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe(batchUrl)
    expect(init).toMatchObject({
      method: 'POST',
      keepalive: true,
      headers: { authorization: 'Bearer hh-dom-key', 'content-type': 'application/json' },
    })
    expect((JSON.parse(init.body as string) as Body).model_events.map((event) => event.event_id)).toEqual(ids)
  })

  test('on the v1 route, the hide-time keepalive fetch posts the v1 body to /v1/events/batch', async () => {
    const fetch = vi.fn(async () => new Response('{"event_ids":[],"success":true}'))
    const { hh } = client({
      apiKey: 'hh-dom-key',
      dangerouslyAllowBrowser: true,
      route: '/v1/events/batch',
      singleSession: true,
      fetch,
    })
    const ids = [hh.log({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })]
    // Leaving (a page only hidden, with singleSession, sends its first batch as an answered request instead).
    hide('pagehide')
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe(`${baseUrl}/v1/events/batch`)
    const body = JSON.parse(init.body as string)
    expect(Object.keys(body).sort()).toEqual(['events', 'single_session'])
    expect(body.events).toMatchObject([
      {
        event_id: ids[0],
        event_type: 'model',
        config: { model: 'gpt-4o' },
        inputs: { chat_history: [{ role: 'user', content: 'hi' }] },
      },
    ])
  })

  test('a keepalive fetch the browser rejects keeps its events in storage for the next page', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch')
    })
    const { hh } = client({ apiKey: 'hh-dom-key', dangerouslyAllowBrowser: true, fetch, maxRetries: 0 })
    const ids = logMany(hh, 3, 10)
    hide()
    await vi.waitFor(() => expect(storedFor()).not.toBeNull())
    expect(stored()).toEqual(ids)
  })
})

describe('singleSession while the first batch is in flight', () => {
  const answered = '5e0c7a6e-4b8e-4d1f-9a51-6c2f8f0d2b11'
  /** A fetch that holds every answer until `answer()`; each answer names `answered` as the session. */
  function slowServer() {
    const bodies: Body[] = []
    const waiting: Array<() => void> = []
    const fetch = vi.fn(async (input: Request | string | URL) => {
      const body = (await (input as Request).json()) as Body
      bodies.push(body)
      await new Promise<void>((resolve) => waiting.push(resolve))
      return Response.json({
        event_ids: body.model_events.map((event) => event.event_id),
        success: true,
        session_id: answered,
      })
    })
    return { fetch, bodies, answer: () => waiting.splice(0).forEach((resolve) => resolve()) }
  }

  test('a hidden page holds the rest until the answer, then sends them into the answered session, without the session fields', async () => {
    const beacons = watchBeacons()
    const server = slowServer()
    const { hh, errors } = client({ fetch: server.fetch, flushAt: 2, singleSession: true })
    const first = logMany(hh, 2, 10)
    await vi.waitFor(() => expect(server.bodies).toHaveLength(1))
    const rest = logMany(hh, 3, 10)
    hide()
    expect(beacons.spy).not.toHaveBeenCalled()
    server.answer()
    // In beacons of at most flushAt (2) events each.
    await vi.waitFor(() => expect(beacons.spy).toHaveBeenCalledTimes(2))
    const sent = await beacons.read()
    expect(sent.filter((beacon) => 'single_session' in beacon.body)).toEqual([])
    expect(
      sent.flatMap((beacon) => beacon.body.model_events.map((event) => [event.event_id, event.session_id])),
    ).toEqual(rest.map((id) => [id, answered]))
    expect(server.bodies[0]).toMatchObject({ single_session: true })
    expect(server.bodies[0].model_events.map((event) => event.event_id)).toEqual(first)
    expect(storedFor()).toBeNull()
    expect(errors).toEqual([])
  })

  test('a page that goes away (pagehide) after holding sends what it held at once, without the session fields', async () => {
    const beacons = watchBeacons()
    const server = slowServer()
    const { hh } = client({ fetch: server.fetch, flushAt: 2, singleSession: true })
    const first = logMany(hh, 2, 10)
    await vi.waitFor(() => expect(server.bodies).toHaveLength(1))
    const rest = logMany(hh, 1, 10)
    hide()
    expect(stored()).toEqual(rest)
    hide('pagehide')
    const sent = await beacons.read()
    expect(
      sent.map((beacon) => [beacon.body.single_session, beacon.body.model_events.map((event) => event.event_id)]),
    ).toEqual([[undefined, rest]])
    expect(storedFor()).toBeNull()
    server.answer()
    expect((await hh.flush()).queued).toBe(0)
    expect(server.bodies.map((body) => body.model_events.map((event) => event.event_id))).toEqual([first])
  })

  test('held events another tab claims meanwhile are sent by that tab only', async () => {
    const beacons = watchBeacons()
    const server = slowServer()
    const { hh } = client({ fetch: server.fetch, flushAt: 2, singleSession: true })
    logMany(hh, 2, 10)
    await vi.waitFor(() => expect(server.bodies).toHaveLength(1))
    const rest = logMany(hh, 3, 10)
    hide()
    expect(stored()).toEqual(rest)
    // Another tab of the origin opens and claims them (happy-dom has no Web Lock: the claim is synchronous).
    show()
    const other = client({ fetch: server.fetch })
    await vi.waitFor(() => expect(server.bodies).toHaveLength(2))
    expect(server.bodies[1].model_events.map((event) => event.event_id)).toEqual(rest)
    hide()
    server.answer()
    await other.hh.flush()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(beacons.spy).not.toHaveBeenCalled()
    expect(storedFor()).toBeNull()
  })
})

describe('leftovers in localStorage', () => {
  test('are sent first by the next client of that target, once, with the same ids, whatever flushAt says', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    watchBeacons(() => false)
    const first = client({ baseUrl })
    const ids = logMany(first.hh, 4, 10)
    hide()
    await first.hh.shutdown()
    vi.restoreAllMocks()
    show()
    expect(storedFor(`${baseUrl}/events/model/batch`)).not.toBeNull()
    const second = client({ baseUrl })
    const third = client({ baseUrl })
    await vi.waitFor(() => expect(honeyhive.events).toHaveLength(4), { timeout: 3000 })
    expect(storedIds(honeyhive.events)).toEqual(ids)
    expect(storedFor(`${baseUrl}/events/model/batch`)).toBeNull()
    await Promise.all([second.hh.flush(), third.hh.flush()])
    expect(posts(honeyhive)).toHaveLength(1)
    expect(second.hh.stats().sent + third.hh.stats().sent).toBe(4)
  })

  test('are kept per target: a client of another baseUrl leaves them alone', async () => {
    watchBeacons(() => false)
    const { hh } = client()
    const ids = logMany(hh, 2, 10)
    hide()
    client({ baseUrl: 'http://127.0.0.1:10' })
    expect(stored()).toEqual(ids)
  })

  test('beyond 1 MiB are reported as dropped (storage), never thrown', async () => {
    watchBeacons(() => false)
    const { hh, errors } = client()
    const ids = logMany(hh, 300, 4000)
    expect(() => hide()).not.toThrow()
    const kept = stored()
    expect(kept.length).toBeGreaterThan(200)
    expect(kept).toEqual(ids.slice(0, kept.length))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(DroppedError)
    expect(errors[0]).toMatchObject({ reason: 'storage', eventIds: ids.slice(kept.length) })
  })

  test('a full or unavailable localStorage is reported as dropped (storage) with the event ids', async () => {
    watchBeacons(() => false)
    vi.stubGlobal('localStorage', {
      getItem: () => null,
      setItem() {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
      },
    })
    const { hh, errors } = client()
    const ids = logMany(hh, 3, 10)
    expect(() => hide()).not.toThrow()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ name: 'DroppedError', reason: 'storage', eventIds: ids })
  })

  test('an unreadable localStorage does not stop createClient, and unreadable leftovers are reported', () => {
    vi.stubGlobal('localStorage', {
      getItem() {
        throw new DOMException('Access is denied for this document.', 'SecurityError')
      },
    })
    expect(client().errors).toEqual([])
    vi.unstubAllGlobals()
    localStorage.setItem(storageKey, '[{"event_id":')
    const { errors } = client()
    expect(errors).toMatchObject([{ name: 'DroppedError', reason: 'storage' }])
    expect(localStorage.getItem(storageKey)).toBeNull()
  })
})

test('page-hide beacons respect the batch size the client learned from a relay’s 413 (a beacon cannot see a 413)', async () => {
  const origin = 'https://chat.example.com'
  const honeyhive = createFakeHoneyHive({ apiKey: 'k' })
  // The relay runs at the edge, where there is no document: made outside the page, as a key in a page is refused.
  vi.stubGlobal('document', undefined)
  const relay = createRelay({
    apiKey: 'k',
    allowedOrigins: [origin],
    baseUrl: 'http://127.0.0.1:9',
    maxEvents: 100,
    fetch: (input, init) => honeyhive(new Request(input, init)),
  })
  vi.unstubAllGlobals()
  // happy-dom forbids setting Origin: the relay reads it from a request-shaped object, as a browser sends it.
  const fromPage = (request: Request) =>
    relay({
      method: request.method,
      headers: { get: (name: string) => (name === 'origin' ? origin : request.headers.get(name)) },
      body: request.body,
    } as unknown as Request)
  const statuses: Array<Promise<number>> = []
  vi.spyOn(navigator, 'sendBeacon').mockImplementation((url, data) => {
    statuses.push(
      fromPage(
        new Request(String(url), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: data as Blob }),
      ).then((response) => response.status),
    )
    return true
  })
  const { hh } = client({
    baseUrl: 'https://relay.example.com',
    flushAt: 120,
    fetch: async (input, init) => fromPage(new Request(input, init)),
  })
  for (let i = 0; i < 120; i++) hh.log({ model: 'm' })
  await hh.flush()
  expect(honeyhive.events).toHaveLength(120)
  for (let i = 0; i < 119; i++) hh.log({ model: 'm' })
  hide()
  expect(await Promise.all(statuses)).not.toContain(413)
  expect(honeyhive.events).toHaveLength(239)
})
