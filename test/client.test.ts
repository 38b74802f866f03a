import { inspect } from 'node:util'
import { afterEach, describe, expect, test, vi } from 'vitest'
import {
  createClient,
  DroppedError,
  HttpError,
  ValidationError,
  type ClientOptions,
  type HoneyHiveError,
  type ModelEvent,
} from '../src/index.js'
import { createFakeHoneyHive } from '../src/testing.js'
import { settle } from './helpers/clock.js'
import { deadBaseUrl, posts, startFakeHoneyHive, storedIds } from './helpers/fake-server.js'

type Body = { model_events: ModelEvent[] }
/** Each request's events, on either route (`model_events`, or v1's `events`). */
const bodies = (honeyhive: Parameters<typeof posts>[0]) =>
  posts(honeyhive).map((request) => ({
    model_events: (request.body as Body).model_events ?? (request.body as { events: ModelEvent[] }).events,
  }))
const v1 = '/v1/events/batch'
const routes = ['/events/model/batch', v1] as const
/** What a client needs for a route: v1 takes a key (the fake, set without one, accepts any). */
const onRoute = (route: (typeof routes)[number]): ClientOptions =>
  route === v1 ? { route, apiKey: 'hh-route-test-key', dangerouslyAllowBrowser: true } : {}
const chat = (i: number, extra: ModelEvent = {}): ModelEvent => ({
  model: 'gpt-4o',
  provider: 'openai',
  messages: [{ role: 'user', content: `question ${i}` }],
  response: { role: 'assistant', content: `answer ${i}` },
  ...extra,
})

/** A client on a loopback fake HoneyHive that collects what reaches onError. */
async function setup(options: ClientOptions = {}) {
  const { honeyhive, baseUrl } = await startFakeHoneyHive()
  const errors: HoneyHiveError[] = []
  const hh = createClient({ baseUrl, flushIntervalMs: 60_000, onError: (error) => errors.push(error), ...options })
  return { honeyhive, hh, errors, baseUrl }
}

/**
 * A client on the in-process fake HoneyHive (its `fetch`: no socket) under a fake clock (timers, Date and
 * performance), so that a test advances time instead of waiting for it.
 */
function onFakeClock(options: ClientOptions = {}) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
  const honeyhive = createFakeHoneyHive()
  const errors: HoneyHiveError[] = []
  const hh = createClient({
    baseUrl: 'http://127.0.0.1:1',
    flushIntervalMs: 60_000,
    onError: (error) => errors.push(error),
    fetch: (input, init) => honeyhive(new Request(input, init)),
    ...options,
  })
  return { honeyhive, hh, errors }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('log', () => {
  test('returns a UUID event_id at once and delivers the event with it, stamped with the client defaults', async () => {
    const sessionId = crypto.randomUUID()
    const { honeyhive, hh } = await setup({ project: 'chat-ui', source: 'staging', sessionId })
    const id = hh.log(chat(1))
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(honeyhive.events).toHaveLength(0)
    await hh.flush()
    expect(honeyhive.events).toEqual([
      { ...chat(1), event_id: id, event_type: 'model', project: 'chat-ui', source: 'staging', session_id: sessionId },
    ])
  })

  test('makes UUIDv4 ids without crypto.randomUUID (pages served over plain http)', async () => {
    const { honeyhive, hh } = await setup()
    Object.defineProperty(globalThis.crypto, 'randomUUID', { value: undefined, configurable: true })
    try {
      const ids = Array.from({ length: 50 }, (_, i) => hh.log(chat(i)))
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(new Set(ids).size).toBe(50)
      await hh.flush()
      expect(storedIds(honeyhive.events)).toEqual(ids)
    } finally {
      delete (globalThis.crypto as { randomUUID?: unknown }).randomUUID
    }
    expect(typeof crypto.randomUUID()).toBe('string')
  })

  test('keeps an event_id the caller chose', async () => {
    const { honeyhive, hh } = await setup()
    const mine = crypto.randomUUID()
    expect(hh.log({ event_id: mine })).toBe(mine)
    await hh.flush()
    expect(storedIds(honeyhive.events)).toEqual([mine])
  })

  test('never throws, whatever it is given, and reports what it could not send', async () => {
    const { honeyhive, hh, errors } = await setup()
    const hostile = {
      get model(): string {
        throw new Error('getter exploded')
      },
    }
    const inputs = [null, undefined, 'text', 42, [1, 2], hostile]
    for (const input of inputs) expect(typeof hh.log(input as never)).toBe('string')
    await hh.flush()
    expect(honeyhive.events).toHaveLength(0)
    expect(errors).toHaveLength(inputs.length)
    expect(errors.every((error) => error.eventIds.length === 1)).toBe(true)
    expect(hh.stats().dropped).toBe(inputs.length)
  })

  test('refuses an invalid event with a ValidationError naming the field, while valid ones in the same batch arrive', async () => {
    const { honeyhive, hh, errors } = await setup()
    const good1 = hh.log(chat(1))
    const bad = hh.log({ ...chat(2), start_time: '2024-05-01T10:00:00Z' } as never)
    const good2 = hh.log(chat(3))
    await hh.flush()
    expect(storedIds(honeyhive.events)).toEqual([good1, good2])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(ValidationError)
    expect(errors[0]).toMatchObject({ eventIds: [bad], issues: [{ path: 'start_time' }] })
  })

  test('a throwing onError does not reach the caller', async () => {
    const { hh } = await setup({
      onError: () => {
        throw new Error('bad handler')
      },
    })
    expect(() => hh.log(null as never)).not.toThrow()
  })
})

describe.each(routes)('on %s', (route) => {
  const at = (options: ClientOptions = {}) => setup({ ...onRoute(route), ...options })

  describe('batching', () => {
    test('sends as soon as flushAt events are waiting', async () => {
      const { honeyhive, hh } = onFakeClock({ ...onRoute(route), flushAt: 5 })
      for (let i = 0; i < 4; i++) hh.log(chat(i))
      await vi.advanceTimersByTimeAsync(100)
      expect(posts(honeyhive)).toHaveLength(0)
      hh.log(chat(4))
      await vi.waitFor(() => expect(honeyhive.events).toHaveLength(5))
      expect(bodies(honeyhive).map((body) => body.model_events.length)).toEqual([5])
    })

    test('log() starts no request inside the call while the queue has room: a full batch goes in the next task, a full queue at once', async () => {
      const started: number[] = []
      const honeyhive = createFakeHoneyHive()
      const hh = createClient({
        ...onRoute(route),
        baseUrl: 'http://127.0.0.1:1',
        flushAt: 3,
        maxQueueSize: 5,
        fetch: (input, init) => {
          started.push(Date.now())
          return honeyhive(new Request(input, init))
        },
      })
      for (let i = 0; i < 3; i++) hh.log(chat(i))
      // The third call filled a batch; the request starts after the caller's code, in the next task.
      expect(started).toEqual([])
      await vi.waitFor(() => expect(honeyhive.events).toHaveLength(3))
      // Five waiting fill the queue: that call starts a request at once (the oldest three go, none dropped).
      for (let i = 3; i < 8; i++) hh.log(chat(i))
      expect(started).toHaveLength(2)
      expect(hh.stats()).toMatchObject({ dropped: 0 })
      await hh.flush()
      expect(honeyhive.events).toHaveLength(8)
    })

    test('sends within flushIntervalMs of the oldest waiting event, not before', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
      const honeyhive = createFakeHoneyHive()
      const hh = createClient({
        ...onRoute(route),
        baseUrl: 'http://127.0.0.1:1',
        flushIntervalMs: 1000,
        fetch: (input, init) => honeyhive(new Request(input, init)),
      })
      hh.log(chat(1))
      await vi.advanceTimersByTimeAsync(500)
      hh.log(chat(2))
      await vi.advanceTimersByTimeAsync(499)
      expect(honeyhive.requests).toHaveLength(0)
      await vi.advanceTimersByTimeAsync(1)
      await vi.waitFor(() => expect(honeyhive.events).toHaveLength(2))
      expect(honeyhive.requests).toHaveLength(1)
    })

    test('cuts batches so that no request exceeds maxBatchBytes, keeping order', async () => {
      const { honeyhive, hh } = await at({ flushAt: 100, maxEventBytes: 1024, maxBatchBytes: 2048 })
      const ids = Array.from({ length: 10 }, (_, i) => hh.log({ inputs: { text: 'x'.repeat(500) }, model: `m${i}` }))
      await hh.flush()
      expect(storedIds(honeyhive.events)).toEqual(ids)
      const sizes = posts(honeyhive).map((request) => new TextEncoder().encode(JSON.stringify(request.body)).length)
      expect(sizes.length).toBeGreaterThan(2)
      for (const size of sizes) expect(size).toBeLessThanOrEqual(2048)
    })

    test('flush() waits for the batch already in flight and counts it', async () => {
      const { honeyhive, hh } = onFakeClock({ ...onRoute(route), flushAt: 3 })
      honeyhive.fail({ status: 200, delayMs: 300 })
      for (let i = 0; i < 3; i++) hh.log(chat(i))
      hh.log(chat(3))
      const result = await settle(hh.flush())
      expect(result).toEqual({ sent: 4, failed: 0, dropped: 0, queued: 0 })
      expect(honeyhive.events).toHaveLength(4)
    })

    test('events logged while a flush runs are not stranded', async () => {
      const { honeyhive, hh } = onFakeClock({ ...onRoute(route), flushIntervalMs: 200 })
      honeyhive.fail({ status: 200, delayMs: 200 })
      hh.log(chat(1))
      const flushing = hh.flush()
      hh.log(chat(2))
      await settle(flushing)
      await vi.advanceTimersByTimeAsync(3000)
      expect(honeyhive.events).toHaveLength(2)
    })
  })

  describe('failure policy', () => {
    test('sends the same event ids on every retry and stores each event once', async () => {
      const { honeyhive, hh } = onFakeClock(onRoute(route))
      honeyhive.fail({ status: 500 }, { status: 502 })
      const ids = [hh.log(chat(1)), hh.log(chat(2))]
      const result = await settle(hh.flush())
      expect(result.sent).toBe(2)
      expect(bodies(honeyhive).map((body) => storedIds(body.model_events))).toEqual([ids, ids, ids])
      expect(storedIds(honeyhive.events)).toEqual(ids)
      expect(hh.stats()).toMatchObject({ sent: 2, retried: 2, failed: 0 })
    })

    test('a 429 with Retry-After pauses the whole queue: no request before it passes', async () => {
      const { honeyhive, hh, errors } = onFakeClock({ ...onRoute(route), flushAt: 2, maxRetries: 0 })
      honeyhive.fail({ status: 429, retryAfter: 1 })
      hh.log(chat(1))
      hh.log(chat(2))
      await vi.advanceTimersByTimeAsync(0)
      expect(posts(honeyhive)).toHaveLength(1)
      // More events arrive during the pause: a full batch that would normally go at once.
      hh.log(chat(3))
      hh.log(chat(4))
      // To 1 ms before the pause ends (1 s after the 429 arrived): still no request.
      await vi.advanceTimersByTimeAsync(posts(honeyhive)[0].at + 999 - Date.now())
      expect(posts(honeyhive)).toHaveLength(1)
      const flushing = hh.flush()
      await vi.advanceTimersByTimeAsync(1)
      const result = await flushing
      expect(result).toMatchObject({ sent: 4, queued: 0 })
      const [limited, next] = posts(honeyhive)
      expect(next.at - limited.at).toBeGreaterThanOrEqual(950)
      expect(errors[0]).toMatchObject({ name: 'HttpError', status: 429, retryAfterMs: 1000 })
      expect(honeyhive.events).toHaveLength(4)
    })

    test('a 413 splits the batch in half until it fits', async () => {
      const { honeyhive, hh } = await at({ flushAt: 4 })
      honeyhive.fail({ status: 413 }, { status: 413 })
      const ids = [1, 2, 3, 4].map((i) => hh.log(chat(i)))
      await hh.flush()
      expect(bodies(honeyhive).map((body) => body.model_events.length)).toEqual([4, 2, 1, 1, 2])
      expect(storedIds(honeyhive.events)).toEqual(ids)
    })

    test('a 413 split that meets an outage keeps the events in the order they were logged', async () => {
      const { honeyhive, hh } = await at({ maxRetries: 0 })
      honeyhive.fail({ status: 413 }, { status: 503 })
      const ids = [1, 2, 3, 4].map((i) => hh.log(chat(i)))
      expect(await hh.flush()).toMatchObject({ sent: 0, queued: 4 })
      expect(await hh.flush()).toMatchObject({ sent: 4, queued: 0 })
      expect(storedIds(honeyhive.events)).toEqual(ids)
    })

    test('a 413 for a single event reports it as failed and moves on', async () => {
      const { honeyhive, hh, errors } = await at()
      honeyhive.fail({ status: 413 })
      const big = hh.log(chat(1))
      await hh.flush()
      const next = hh.log(chat(2))
      await hh.flush()
      expect(errors).toMatchObject([{ name: 'HttpError', status: 413, eventIds: [big] }])
      expect(storedIds(honeyhive.events)).toEqual([next])
      expect(hh.stats()).toMatchObject({ failed: 1, sent: 1 })
    })

    test('after a partial 500 that lists what it created only the others are sent again; one without a body (v1) resends all', async () => {
      const { honeyhive, hh } = onFakeClock(onRoute(route))
      honeyhive.fail({ status: 500, created: 2 })
      const ids = [1, 2, 3, 4, 5].map((i) => hh.log(chat(i)))
      const result = await settle(hh.flush())
      expect(result.sent).toBe(5)
      // v1 declares no body for a partial 500 (field notes §10): the client cannot know, and keeps every event.
      const resent = route === v1 ? ids : ids.slice(2)
      expect(storedIds(bodies(honeyhive)[1].model_events)).toEqual(resent)
      expect(storedIds(honeyhive.events)).toEqual([...ids.slice(0, 2), ...resent])
    })

    test('a 400 is not retried: the batch is reported with its status and dropped, later events still go', async () => {
      const { honeyhive, hh, errors } = await at()
      honeyhive.fail({ status: 400, body: { statusCode: 400, message: 'bad event', success: false } })
      const lost = [hh.log(chat(1)), hh.log(chat(2))]
      expect(await hh.flush()).toEqual({ sent: 0, failed: 2, dropped: 0, queued: 0 })
      expect(posts(honeyhive)).toHaveLength(1)
      expect(errors[0]).toBeInstanceOf(HttpError)
      expect(errors[0]).toMatchObject({ status: 400, eventIds: lost, body: { message: 'bad event' } })
      const later = hh.log(chat(3))
      await hh.flush()
      expect(storedIds(honeyhive.events)).toEqual([later])
    })

    test('exhausted retries report the batch, keep its events, and deliver them once the server is back', async () => {
      const { honeyhive, hh, errors } = onFakeClock({ ...onRoute(route), maxRetries: 1 })
      honeyhive.fail({ status: 503 }, { status: 503 })
      const ids = [hh.log(chat(1)), hh.log(chat(2))]
      expect(await settle(hh.flush())).toEqual({ sent: 0, failed: 0, dropped: 0, queued: 2 })
      expect(errors).toMatchObject([{ name: 'HttpError', status: 503, eventIds: ids }])
      const later = hh.log(chat(3))
      expect(await settle(hh.flush())).toMatchObject({ sent: 3, queued: 0 })
      expect(storedIds(honeyhive.events)).toEqual([...ids, later])
    })

    test('an outage longer than the queue holds keeps the newest maxQueueSize events, reports the rest, and resumes', async () => {
      const { honeyhive, baseUrl } = await startFakeHoneyHive()
      let up = false
      const errors: HoneyHiveError[] = []
      const hh = createClient({
        ...onRoute(route),
        baseUrl,
        maxQueueSize: 50,
        maxRetries: 0,
        flushIntervalMs: 60_000,
        onError: (error) => errors.push(error),
        fetch: (input, init) => (up ? fetch(input, init) : Promise.reject(new TypeError('fetch failed'))),
      })
      const ids = Array.from({ length: 80 }, (_, i) => hh.log(chat(i)))
      // The first 20 are in flight; of the 60 waiting, the 10 oldest went at once: counted at once, and
      // reported once for the whole burst (in the next task), not once per log() call.
      expect(hh.stats()).toMatchObject({ queued: 70, dropped: 10 })
      await hh.flush()
      // Real: the drops are reported in the next task (a setTimeout(0) boundary), which is what this checks.
      await new Promise((resolve) => setTimeout(resolve, 0))
      expect(hh.stats()).toMatchObject({ queued: 50, dropped: 30, sent: 0 })
      // Then the failed batch came back to the front and pushed out 20 more: 30 drops in one or two
      // reports (two when the failure lands after the first report's task), each id once.
      const drops = errors.filter((error) => error instanceof DroppedError)
      expect(drops.length).toBeLessThanOrEqual(2)
      expect(drops.every((error) => (error as DroppedError).reason === 'queue_full')).toBe(true)
      expect(drops.flatMap((error) => error.eventIds).sort()).toEqual(ids.slice(0, 30).sort())
      expect(errors.some((error) => error.name === 'NetworkError')).toBe(true)
      up = true
      expect(await hh.flush()).toMatchObject({ sent: 50, queued: 0 })
      expect(storedIds(honeyhive.events)).toEqual(ids.slice(30))
    })
  })
})

describe('encoding', () => {
  test('values JSON cannot carry arrive encoded, never throwing', async () => {
    const { honeyhive, hh, errors } = await setup()
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    const when = new Date('2024-05-01T10:00:00Z')
    hh.log({
      error: new Error('model timed out') as never,
      metadata: {
        big: 12345678901234567890n,
        fn: () => 1,
        sym: Symbol('s'),
        missing: undefined,
        nan: Number.NaN,
        inf: Infinity,
        err: new TypeError('bad'),
        cyclic,
        when,
        list: [1, undefined, () => 2],
      },
    })
    await hh.flush()
    expect(errors).toEqual([])
    expect(honeyhive.events[0]).toMatchObject({
      error: 'model timed out',
      metadata: {
        big: '12345678901234567890',
        nan: null,
        inf: null,
        err: { name: 'TypeError', message: 'bad' },
        cyclic: { name: 'loop', self: '[Circular]' },
        when: '2024-05-01T10:00:00.000Z',
        list: [1, null, null],
      },
    })
    expect(Object.keys(honeyhive.events[0].metadata as object).sort()).toEqual([
      'big',
      'cyclic',
      'err',
      'inf',
      'list',
      'nan',
      'when',
    ])
  })

  test('an event over maxEventBytes is truncated field by field with a marker, ids intact, never blocking the batch', async () => {
    const { honeyhive, hh } = await setup({ maxEventBytes: 2048, maxBatchBytes: 8192 })
    const small = hh.log(chat(1))
    const huge = hh.log({
      ...chat(2),
      inputs: { document: 'lorem ipsum '.repeat(2000), question: 'short' },
      outputs: { answer: 'ok' },
    })
    await hh.flush()
    expect(storedIds(honeyhive.events)).toEqual([small, huge])
    const stored = honeyhive.events[1]
    expect(new TextEncoder().encode(JSON.stringify(stored)).length).toBeLessThanOrEqual(2048)
    expect(String((stored.inputs as { document: string }).document)).toMatch(/…\[truncated \d+ chars\]$/)
    expect(stored.inputs).toMatchObject({ question: 'short' })
    expect(stored).toMatchObject({ outputs: { answer: 'ok' }, model: 'gpt-4o' })
  })

  test('an array too big is cut behind its marker, its parent kept: an embedding over maxEventBytes', async () => {
    const { honeyhive, hh } = await setup({ maxEventBytes: 20_000, maxBatchBytes: 30_000 })
    const embedding = Array.from({ length: 3072 }, (_, i) => Math.sin(i) / 7)
    hh.log({ ...chat(1), outputs: { embedding, dimensions: 3072 } })
    await hh.flush()
    const stored = honeyhive.events[0]
    expect(new TextEncoder().encode(JSON.stringify(stored)).length).toBeLessThanOrEqual(20_000)
    const { embedding: kept, dimensions } = stored.outputs as { embedding: unknown[]; dimensions: number }
    expect(dimensions).toBe(3072)
    expect(kept.length).toBeGreaterThan(500)
    expect(kept.slice(0, -1)).toEqual(embedding.slice(0, kept.length - 1))
    expect(kept.at(-1)).toMatch(/^…\[truncated \d+ bytes\]$/)
  })

  test('binary data keeps its first 16,384 items and a marker: an image in a prompt is cut at once, an embedding kept whole', async () => {
    const { honeyhive, hh, errors } = await setup()
    const image = new Uint8Array(1_500_000).map((_, i) => i % 251)
    const vector = new Float32Array(3072).fill(0.25)
    hh.log({
      ...chat(1),
      messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'image/png', data: image }] }],
      outputs: { vector },
    })
    await hh.flush()
    expect(errors).toEqual([])
    const stored = honeyhive.events[0] as { messages: { content: { data: unknown[]; mediaType: string }[] }[] }
    const part = stored.messages[0].content[0]
    expect(part.mediaType).toBe('image/png')
    expect(part.data).toHaveLength(16_385)
    expect(part.data.slice(0, 3)).toEqual([0, 1, 2])
    expect(part.data.at(-1)).toBe(`…[truncated ${1_500_000 - 16_384} items]`)
    expect((honeyhive.events[0].outputs as { vector: number[] }).vector).toEqual(Array.from(vector))
  })

  test('truncating multi-byte text keeps as much of it as fits, not as many characters as the excess has bytes', async () => {
    const { honeyhive, hh } = await setup({ maxEventBytes: 64 * 1024, maxBatchBytes: 128 * 1024 })
    hh.log({ ...chat(1), inputs: { document: '日本語のテキスト'.repeat(10_000) } })
    await hh.flush()
    const stored = honeyhive.events[0]
    const bytes = new TextEncoder().encode(JSON.stringify(stored)).length
    expect(bytes).toBeLessThanOrEqual(64 * 1024)
    // 3 bytes per character: about 21,000 of the 80,000 characters fit; the old byte-for-character cut kept none.
    const document = String((stored.inputs as { document: string }).document)
    expect(document.length).toBeGreaterThan(15_000)
    expect(document).toMatch(/^日本語のテキスト日本語/)
    expect(document).toMatch(/…\[truncated \d+ chars\]$/)
  })

  test('truncating mixed text (multi-byte first, ASCII after) still fits, and never leaves half a surrogate pair', async () => {
    const { honeyhive, hh } = await setup({ maxEventBytes: 64 * 1024, maxBatchBytes: 65 * 1024 })
    hh.log({ ...chat(1), inputs: { document: '中'.repeat(20_000) + 'a'.repeat(200_000) } })
    await hh.flush()
    expect(new TextEncoder().encode(JSON.stringify(honeyhive.events[0])).length).toBeLessThanOrEqual(64 * 1024)
    const small = await setup({ maxEventBytes: 1024, maxBatchBytes: 64 * 1024 })
    for (let n = 300; n < 340; n++) small.hh.log({ ...chat(n), response: '😀'.repeat(n) })
    await small.hh.flush()
    expect(small.honeyhive.events).toHaveLength(40)
    for (const event of small.honeyhive.events) {
      expect(String(event.response)).toMatch(/…\[truncated \d+ chars\]$/)
      expect(JSON.stringify(event)).not.toMatch(/\\ud83d(?!\\ude00)/)
    }
  })

  test('truncation never cuts children_ids: a big event still arrives with every child id, beside the small one', async () => {
    const { honeyhive, hh, errors } = await setup({ maxEventBytes: 2048, maxBatchBytes: 8192 })
    const children = Array.from({ length: 30 }, () => crypto.randomUUID())
    const small = hh.log(chat(1))
    const big = hh.log({ ...chat(2), children_ids: children, inputs: { document: 'x'.repeat(5000) } })
    await hh.flush()
    expect(errors).toEqual([])
    expect(storedIds(honeyhive.events)).toEqual([small, big])
    expect(honeyhive.events[1].children_ids).toEqual(children)
  })

  test('only the seed keys go on the wire', async () => {
    const { honeyhive, hh } = await setup()
    hh.log({ ...chat(1), modle: 'typo', secret: 'x' } as never)
    await hh.flush()
    expect(honeyhive.events[0]).not.toHaveProperty('modle')
    expect(honeyhive.events[0]).not.toHaveProperty('secret')
  })
})

describe('beforeSend and sampling', () => {
  test('beforeSend can redact an event', async () => {
    const { honeyhive, hh } = await setup({ beforeSend: (event) => ({ ...event, messages: ['[redacted]'] }) })
    hh.log(chat(1))
    await hh.flush()
    expect(honeyhive.events[0].messages).toEqual(['[redacted]'])
  })

  test('beforeSend returning null drops the event quietly', async () => {
    const { honeyhive, hh, errors } = await setup({ beforeSend: (event) => (event.model === 'secret' ? null : event) })
    hh.log({ model: 'secret' })
    const kept = hh.log({ model: 'public' })
    await hh.flush()
    expect(storedIds(honeyhive.events)).toEqual([kept])
    expect(errors).toEqual([])
  })

  test('a throwing beforeSend drops the event and reports it; the raw event is never sent', async () => {
    const { honeyhive, hh, errors } = await setup({
      beforeSend: () => {
        throw new Error('redactor crashed')
      },
    })
    const id = hh.log({ model: 'm', inputs: { ssn: '123-45-6789' } })
    await hh.flush()
    expect(honeyhive.events).toEqual([])
    expect(errors[0]).toBeInstanceOf(DroppedError)
    expect(errors[0]).toMatchObject({ reason: 'before_send', eventIds: [id] })
    expect((errors[0].cause as Error).message).toBe('redactor crashed')
  })

  test('a beforeSend that returns nothing drops the event and reports it; an empty event is never sent', async () => {
    const { honeyhive, hh, errors } = await setup({ beforeSend: (() => undefined) as never })
    const id = hh.log(chat(1))
    await hh.flush()
    expect(posts(honeyhive)).toHaveLength(0)
    expect(errors).toMatchObject([{ name: 'DroppedError', reason: 'before_send', eventIds: [id] }])
  })

  test('beforeSend cannot change the event_id log() returned', async () => {
    const { honeyhive, hh } = await setup({ beforeSend: (event) => ({ ...event, event_id: crypto.randomUUID() }) })
    const id = hh.log(chat(1))
    await hh.flush()
    expect(storedIds(honeyhive.events)).toEqual([id])
  })

  test('the ids the client stamps skip the UUID check, the ones a caller or beforeSend sets do not', async () => {
    const { honeyhive, hh, errors } = await setup({
      beforeSend: (event) => (event.model === 'moved' ? { ...event, session_id: 'not-a-uuid' } : event),
    })
    const kept = hh.log(chat(1))
    const moved = hh.log({ ...chat(2), model: 'moved' })
    const given = hh.log({ ...chat(3), event_id: 'not-a-uuid' })
    const empty = hh.log({ ...chat(4), session_id: '' })
    const number = hh.log({ ...chat(5), session_id: 42 as never })
    await hh.flush()
    expect(storedIds(honeyhive.events)).toEqual([kept])
    expect(honeyhive.events[0].session_id).toBe(hh.sessionId)
    expect(errors.map((error) => [error.name, error.eventIds, error.message.includes('session_id')])).toEqual([
      ['ValidationError', [moved], true],
      ['ValidationError', [given], false],
      ['ValidationError', [empty], true],
      ['ValidationError', [number], true],
    ])
    expect(errors[1].message).toContain('event_id')
  })

  test('sampleRate keeps or drops whole sessions, about the share asked', async () => {
    const { honeyhive, hh } = await setup({ sampleRate: 0.5, flushAt: 100 })
    const sessions = Array.from({ length: 100 }, () => crypto.randomUUID())
    for (const session_id of sessions) for (let i = 0; i < 3; i++) hh.log({ ...chat(i), session_id })
    await hh.flush()
    const perSession = new Map<string, number>()
    for (const event of honeyhive.events)
      perSession.set(event.session_id!, (perSession.get(event.session_id!) ?? 0) + 1)
    expect([...perSession.values()].every((count) => count === 3)).toBe(true)
    expect(perSession.size).toBeGreaterThan(25)
    expect(perSession.size).toBeLessThan(75)
  })

  test('sampleRate 0 sends nothing', async () => {
    const { honeyhive, hh } = await setup({ sampleRate: 0 })
    hh.log(chat(1))
    await hh.flush()
    expect(honeyhive.events).toEqual([])
  })
})

describe('startModelEvent', () => {
  test('end() fills start_time, end_time and duration, merges the result, and logs once', async () => {
    const { honeyhive, hh, errors } = onFakeClock()
    const before = Date.now()
    const span = hh.startModelEvent({
      model: 'gpt-4o',
      provider: 'openai',
      messages: [{ role: 'user', content: 'hi' }],
    })
    await vi.advanceTimersByTimeAsync(30)
    expect(span.end({ response: { content: 'hello' }, usage: { total_tokens: 7 } })).toBe(span.event_id)
    span.end()
    await hh.flush()
    expect(honeyhive.events).toHaveLength(1)
    const event = honeyhive.events[0]
    expect(event).toMatchObject({
      event_id: span.event_id,
      model: 'gpt-4o',
      response: { content: 'hello' },
      usage: { total_tokens: 7 },
    })
    expect(event.start_time).toBeGreaterThanOrEqual(before)
    expect(event.end_time).toBeGreaterThanOrEqual(event.start_time! + 25)
    expect(event.duration).toBeGreaterThanOrEqual(25)
    expect(errors).toMatchObject([{ name: 'DroppedError', reason: 'already_ended', eventIds: [span.event_id] }])
  })

  test('an end() called again from inside log() (onError, beforeSend) is ignored, not logged twice', async () => {
    const errors: HoneyHiveError[] = []
    let span: ReturnType<ReturnType<typeof createClient>['startModelEvent']> | undefined
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const hh = createClient({
      baseUrl,
      onError: (error) => {
        errors.push(error)
        if (error.name === 'ValidationError') span?.end()
      },
    })
    span = hh.startModelEvent({ model: 'gpt-4o' })
    span.end({ start_time: 'yesterday' as never })
    await hh.flush()
    expect(honeyhive.events).toEqual([])
    expect(errors.map((error) => error.name)).toEqual(['ValidationError', 'DroppedError'])
    expect(errors[1]).toMatchObject({ reason: 'already_ended', eventIds: [span.event_id] })
  })

  test('startModelEvent(null) neither throws nor loses the event', async () => {
    const { honeyhive, hh } = await setup()
    const span = hh.startModelEvent(null as never)
    expect(span.end({ model: 'gpt-4o' })).toBe(span.event_id)
    await hh.flush()
    expect(storedIds(honeyhive.events)).toEqual([span.event_id])
  })

  test('end()/fail() with unreadable data (a revoked proxy, a throwing toJSON) report it and never throw', async () => {
    const { honeyhive, hh, errors } = await setup()
    const { proxy, revoke } = Proxy.revocable({ response: 'x' }, {})
    revoke()
    const spans = [hh.startModelEvent({ model: 'a' }), hh.startModelEvent({ model: 'b' })]
    expect(spans[0].end(proxy as never)).toBe(spans[0].event_id)
    expect(
      spans[1].fail({
        toJSON: () => {
          throw new Error('no JSON')
        },
      }),
    ).toBe(spans[1].event_id)
    await hh.flush()
    expect(honeyhive.events).toEqual([])
    expect(errors.map((error) => [error.name, error.eventIds])).toEqual([
      ['HoneyHiveError', [spans[0].event_id]],
      ['HoneyHiveError', [spans[1].event_id]],
    ])
  })

  test('startModelEvent() with an unreadable init (a revoked proxy) neither throws nor loses the span', async () => {
    const { hh, errors } = await setup()
    const { proxy, revoke } = Proxy.revocable({ model: 'a' }, {})
    revoke()
    const span = hh.startModelEvent(proxy as never)
    expect(span.event_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(span.end()).toBe(span.event_id)
    expect(errors).toMatchObject([{ name: 'HoneyHiveError', eventIds: [span.event_id] }])
  })

  test('log() of an unreadable event that has an event_id returns and reports that id', async () => {
    const { hh, errors } = await setup()
    const id = crypto.randomUUID()
    expect(
      hh.log({
        event_id: id,
        metadata: {
          toJSON: () => {
            throw new Error('no')
          },
        },
      } as never),
    ).toBe(id)
    expect(errors).toMatchObject([{ name: 'HoneyHiveError', eventIds: [id] }])
  })

  test('flush() and shutdown() given options that throw when read (a revoked proxy) take no deadline and still deliver', async () => {
    const { honeyhive, hh } = await setup()
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    const throwing = {
      get timeoutMs(): number {
        throw new Error('getter')
      },
    }
    const id = hh.log(chat(1))
    expect(await hh.flush(proxy)).toMatchObject({ sent: 1, queued: 0 })
    hh.log(chat(2))
    expect(await hh.shutdown(throwing)).toMatchObject({ sent: 1, queued: 0 })
    expect(storedIds(honeyhive.events)[0]).toBe(id)
    expect(honeyhive.events).toHaveLength(2)
  })

  test('an onError that logs every report after shutdown() gets two, not a recursion until the stack runs out', async () => {
    const reports: string[] = []
    const hh: ReturnType<typeof createClient> = createClient({
      baseUrl: 'http://127.0.0.1:9',
      fetch: () => new Promise(() => {}),
      onError: (error) => {
        reports.push(error.message)
        hh.log(chat(9))
      },
    })
    await hh.shutdown()
    hh.log(chat(1))
    // Its own log() is reported back to it once (as a span ended twice is), the next one only counted.
    expect(reports).toEqual(['log() after shutdown(): not sent', 'log() after shutdown(): not sent'])
    expect(hh.stats().dropped).toBe(3)
  })

  test('flush() after shutdown() sends nothing more and answers what shutdown() did', async () => {
    const hh = createClient({ baseUrl: await deadBaseUrl(), maxRetries: 0, onError: () => {} })
    hh.log(chat(1))
    hh.log(chat(2))
    const [closing, flushing] = [hh.shutdown({ timeoutMs: 300 }), hh.flush()]
    expect(await flushing).toEqual(await closing)
    expect(await closing).toEqual({ sent: 0, failed: 0, dropped: 2, queued: 0 })
    expect(hh.stats()).toMatchObject({ queued: 0, dropped: 2 })
  })

  test('an onError that logs again while the queue overflows does not starve timers', async () => {
    let reports = 0
    const hh: ReturnType<typeof createClient> = createClient({
      baseUrl: 'http://127.0.0.1:9',
      maxQueueSize: 1,
      fetch: () => new Promise(() => {}),
      onError: () => void (++reports < 2000 && hh.log(chat(reports))),
    })
    hh.log(chat(0))
    hh.log(chat(1))
    hh.log(chat(2))
    // Real: what is checked is that real event-loop turns (a timer's) still come, which a fake clock never gives.
    await new Promise((resolve) => setTimeout(resolve, 5))
    // One report per task: a timer still gets its turn long before the feedback loop could finish.
    expect(reports).toBeGreaterThan(0)
    expect(reports).toBeLessThan(1000)
  })

  test('firstToken() records metadata.time_to_first_token_ms once, beside the metadata the call sets', async () => {
    const { honeyhive, hh } = onFakeClock()
    const span = hh.startModelEvent({ model: 'gpt-4o', metadata: { turn: 1 } })
    await vi.advanceTimersByTimeAsync(30)
    span.firstToken()
    await vi.advanceTimersByTimeAsync(30)
    span.firstToken()
    span.end({ metadata: { turn: 1, finish_reason: 'stop' } })
    const silent = hh.startModelEvent({ model: 'gpt-4o' })
    silent.fail(new Error('no output'))
    await hh.flush()
    const [timed, failed] = honeyhive.events
    const ttft = timed.metadata!.time_to_first_token_ms as number
    expect(ttft).toBeGreaterThanOrEqual(25)
    expect(ttft).toBeLessThan(timed.duration! - 20)
    expect(timed.metadata).toEqual({ time_to_first_token_ms: ttft, turn: 1, finish_reason: 'stop' })
    expect(failed.metadata).toBeUndefined()
  })

  test('fail() records the error message', async () => {
    const { honeyhive, hh } = await setup()
    const span = hh.startModelEvent({ model: 'gpt-4o' })
    span.fail(new Error('429 from provider'))
    const other = hh.startModelEvent({ model: 'gpt-4o' })
    other.fail('content filter')
    await hh.flush()
    expect(honeyhive.events.map((event) => event.error)).toEqual(['429 from provider', 'content filter'])
    expect(honeyhive.events[0].duration).toBeGreaterThanOrEqual(0)
  })
})

describe('lifecycle', () => {
  test('shutdown() delivers what is queued; later log() calls are reported, not sent', async () => {
    const { honeyhive, hh, errors } = onFakeClock()
    const id = hh.log(chat(1))
    expect(await hh.shutdown()).toMatchObject({ sent: 1 })
    const late = hh.log(chat(2))
    // Past flushIntervalMs too: no timer may send it either.
    await vi.advanceTimersByTimeAsync(60_001)
    expect(storedIds(honeyhive.events)).toEqual([id])
    expect(errors).toMatchObject([{ name: 'DroppedError', reason: 'shutdown', eventIds: [late] }])
  })

  test('shutdown() during an outage keeps trying until its deadline, then resolves what it could not deliver as dropped, with nothing left queued', async () => {
    let attempts = 0
    const { hh, errors } = onFakeClock({
      maxRetries: 0,
      // What fetch rejects with for a refused connection.
      fetch: () => {
        attempts++
        return Promise.reject(new TypeError('fetch failed'))
      },
    })
    const ids = [hh.log(chat(1)), hh.log(chat(2))]
    const started = Date.now()
    let ended = NaN
    const closing = hh.shutdown({ timeoutMs: 2500 }).then((result) => {
      ended = Date.now()
      return result
    })
    expect(await settle(closing)).toEqual({ sent: 0, failed: 0, dropped: 2, queued: 0 })
    expect(ended - started).toBeGreaterThanOrEqual(2400)
    // Rounds after the outage backoff (1 s, 2 s ...), not a single one.
    expect(attempts).toBeGreaterThan(1)
    expect(hh.stats()).toMatchObject({ queued: 0, dropped: 2 })
    expect(errors.at(-1)).toMatchObject({ name: 'DroppedError', reason: 'shutdown', eventIds: ids })
  })

  test('stats() keeps running totals', async () => {
    const { honeyhive, hh } = onFakeClock()
    honeyhive.fail({ status: 500 }, { status: 400 })
    hh.log(chat(1))
    hh.log(null as never)
    expect(hh.stats()).toEqual({ queued: 1, sent: 0, failed: 0, dropped: 1, retried: 0 })
    await settle(hh.flush())
    hh.log(chat(2))
    await settle(hh.flush())
    expect(hh.stats()).toEqual({ queued: 0, sent: 1, failed: 1, dropped: 1, retried: 1 })
  })

  test('debug logs batches but never the API key', async () => {
    const key = 'hh-secret-key-that-must-not-leak'
    const { honeyhive, baseUrl } = await startFakeHoneyHive({ apiKey: key })
    const lines: string[] = []
    const errors: HoneyHiveError[] = []
    const spy = vi.spyOn(console, 'debug').mockImplementation((...args) => void lines.push(args.join(' ')))
    try {
      honeyhive.fail({ status: 500 }, { status: 401 })
      const hh = createClient({
        apiKey: key,
        dangerouslyAllowBrowser: true,
        baseUrl,
        debug: true,
        onError: (error) => errors.push(error),
      })
      hh.log(chat(1))
      await hh.flush()
      hh.log(chat(2))
      await hh.flush()
    } finally {
      spy.mockRestore()
    }
    expect(lines.some((line) => line.includes('sent 1 events'))).toBe(true)
    expect(lines.some((line) => line.includes('401'))).toBe(true)
    expect(lines.join('\n')).not.toContain(key)
    // What onError receives is what apps log: not even deep inside `cause` may the key appear.
    expect(errors).toMatchObject([{ name: 'HttpError', status: 401 }])
    expect(inspect(errors, { depth: 20, showHidden: true })).not.toContain(key)
  })
})
