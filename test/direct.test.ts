import { describe, expect, test } from 'vitest'
import {
  ConfigError,
  createClient,
  HttpError,
  InvalidResponseError,
  NetworkError,
  TimeoutError,
  ValidationError,
  isHoneyHiveError,
} from '../src/index.js'
import { deadBaseUrl, posts, startFakeHoneyHive, storedIds } from './helpers/fake-server.js'

const key = 'hh-test-key-123'
const uuid = (n: number) => `7f22137a-6911-4ed3-bc36-110f1dde6b${String(n).padStart(2, '0')}`

const fullEvent = {
  project: 'chat',
  project_id: 'p-1',
  source: 'test',
  event_name: 'openai.chat',
  event_type: 'model' as const,
  event_id: uuid(1),
  session_id: uuid(2),
  parent_id: uuid(3),
  children_ids: [uuid(4)],
  config: { temperature: 0.2 },
  inputs: { question: 'Hi?' },
  outputs: { answer: 'Hello!' },
  error: 'none',
  start_time: 1_700_000_000_000,
  end_time: 1_700_000_000_750,
  duration: 750.5,
  metadata: { tenant: 't1', nested: { deep: [1, 2] } },
  feedback: { rating: 1 },
  metrics: { latency_ms: 750 },
  user_properties: { plan: 'pro' },
  model_name: 'gpt-4o',
  model_version: '2024-08-06',
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Hi?' }],
  response: { role: 'assistant', content: 'Hello!' },
  provider: 'openai',
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  cost: 0.0001,
  hyperparameters: { top_p: 1 },
  template: [{ role: 'system', content: 'Be brief' }],
  template_inputs: { name: 'x' },
  tools: [{ type: 'function', function: { name: 'lookup' } }],
  tool_choice: 'auto',
  response_format: { type: 'text' },
}

describe('createModelEventBatch', () => {
  test('every seed field round-trips unchanged, with the key in the Authorization header', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive({ apiKey: key })
    const hh = createClient({ apiKey: key, dangerouslyAllowBrowser: true, baseUrl })
    const session = {
      session_name: 'chat',
      start_time: 1_700_000_000_000,
      user_properties: { a: 1 },
      metadata: { b: 2 },
    }
    const response = await hh.createModelEventBatch({
      model_events: [fullEvent],
      single_session: true,
      session_properties: session,
    })
    // single_session: true makes a session for the request; its events are stored there.
    expect(response).toEqual({
      event_ids: [uuid(1)],
      success: true,
      session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
    expect(honeyhive.events).toEqual([{ ...fullEvent, session_id: response.session_id }])
    expect(honeyhive.sessions).toEqual([
      { session_id: response.session_id, properties: session, events: honeyhive.events },
    ])
    const [request] = posts(honeyhive)
    expect(request.headers.authorization).toBe(`Bearer ${key}`)
    expect(request.headers['content-type']).toBe('application/json')
    expect(request.body).toEqual({ model_events: [fullEvent], single_session: true, session_properties: session })
  })

  test('gives events without one an event_id and the client defaults', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const hh = createClient({ baseUrl, project: 'p', source: 'dev', sessionId: uuid(9) })
    const { event_ids } = await hh.createModelEventBatch({
      model_events: [{ model: 'm' }, { model: 'n', project: 'other' }],
    })
    expect(event_ids).toHaveLength(2)
    expect(honeyhive.events).toEqual([
      { model: 'm', event_id: event_ids[0], event_type: 'model', project: 'p', source: 'dev', session_id: uuid(9) },
      { model: 'n', event_id: event_ids[1], event_type: 'model', project: 'other', source: 'dev', session_id: uuid(9) },
    ])
  })

  test("sends an Error given as an event's error as its message", async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const hh = createClient({ baseUrl })
    await hh.createModelEventBatch({ model_events: [{ error: new Error('provider timed out') }] })
    expect(honeyhive.events[0].error).toBe('provider timed out')
  })

  test('refuses a bad body with a ValidationError naming each path, and sends nothing', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const hh = createClient({ baseUrl })
    const error = await hh
      .createModelEventBatch({ model_events: [{ start_time: '2024-01-01' }, { usage: 5 }] })
      .catch((e) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.issues.map((issue: { path: string }) => issue.path)).toEqual([
      'model_events.0.start_time',
      'model_events.1.usage',
    ])
    expect(error.message).toContain('model_events.0.start_time')
    expect(await hh.createModelEventBatch({ events: [] }).catch((e) => e.issues[0].path)).toBe('model_events')
    expect(posts(honeyhive)).toHaveLength(0)
  })

  test('retries a 500 and a 503 with the same event ids, then resolves', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    honeyhive.fail({ status: 500 }, { status: 503 })
    const hh = createClient({ baseUrl })
    const response = await hh.createModelEventBatch({ model_events: [{ event_id: uuid(1) }, { event_id: uuid(2) }] })
    expect(response.event_ids).toEqual([uuid(1), uuid(2)])
    expect(posts(honeyhive).map((r) => r.status)).toEqual([500, 503, 200])
    const sentIds = posts(honeyhive).map((r) => storedIds((r.body as { model_events: [] }).model_events))
    expect(sentIds).toEqual([
      [uuid(1), uuid(2)],
      [uuid(1), uuid(2)],
      [uuid(1), uuid(2)],
    ])
    expect(hh.stats().retried).toBe(2)
  })

  test.each([400, 401, 403, 404, 413, 422])('does not retry a %i and rejects with HttpError', async (status) => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    honeyhive.fail({ status, body: { statusCode: status, message: 'nope', success: false } })
    const hh = createClient({ baseUrl })
    const error = await hh.createModelEventBatch({ model_events: [{ event_id: uuid(1) }] }).catch((e) => e)
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ status, body: { message: 'nope' }, eventIds: [uuid(1)] })
    expect(error.message).toContain(String(status))
    expect(posts(honeyhive)).toHaveLength(1)
  })

  test('gives up after maxRetries and reports the status, the body and the events', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    honeyhive.fail({ status: 502 }, { status: 502 }, { status: 502 })
    const hh = createClient({ baseUrl, maxRetries: 2 })
    const error = await hh.createModelEventBatch({ model_events: [{ event_id: uuid(1) }] }).catch((e) => e)
    expect(error).toMatchObject({ name: 'HttpError', status: 502, eventIds: [uuid(1)] })
    expect(isHoneyHiveError(error)).toBe(true)
    // From another realm (an iframe, a worker): no shared prototype, the same shape.
    expect(
      isHoneyHiveError({ name: 'HttpError', message: 'HoneyHive answered 502', eventIds: [uuid(1)], status: 502 }),
    ).toBe(true)
    expect(isHoneyHiveError({ message: 'not ours', eventIds: [] })).toBe(false)
    expect(isHoneyHiveError(new Error('not ours'))).toBe(false)
    expect(isHoneyHiveError(null)).toBe(false)
    expect(error.cause).toBeDefined()
    expect(posts(honeyhive)).toHaveLength(3)
  })

  test('waits for Retry-After (seconds) before retrying a 429', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    honeyhive.fail({ status: 429, retryAfter: 1 })
    const hh = createClient({ baseUrl })
    await hh.createModelEventBatch({ model_events: [{}] })
    const [first, second] = posts(honeyhive)
    expect(second.at - first.at).toBeGreaterThanOrEqual(950)
  })

  test('waits for Retry-After given as an HTTP date', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    honeyhive.fail({ status: 503, retryAfter: new Date(Date.now() + 2000).toUTCString() })
    const hh = createClient({ baseUrl })
    await hh.createModelEventBatch({ model_events: [{}] })
    const [first, second] = posts(honeyhive)
    // An HTTP date has whole seconds: the wait is 1 to 2 s.
    expect(second.at - first.at).toBeGreaterThanOrEqual(900)
  })

  test('caps a long Retry-After at maxRetryAfterMs', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    honeyhive.fail({ status: 429, retryAfter: 3600 })
    const hh = createClient({ baseUrl, maxRetryAfterMs: 200 })
    const started = Date.now()
    await hh.createModelEventBatch({ model_events: [{}] })
    expect(Date.now() - started).toBeLessThan(3000)
    expect(posts(honeyhive).map((r) => r.status)).toEqual([429, 200])
  })

  test('retries a timed-out attempt and rejects with TimeoutError when every attempt times out', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    honeyhive.fail({ status: 200, delayMs: 400 })
    const hh = createClient({ baseUrl, timeoutMs: 100 })
    await expect(hh.createModelEventBatch({ model_events: [{}] })).resolves.toMatchObject({ success: true })
    honeyhive.fail({ delayMs: 400 }, { delayMs: 400 })
    const slow = createClient({ baseUrl, timeoutMs: 100, maxRetries: 1 })
    await expect(slow.createModelEventBatch({ model_events: [{}] })).rejects.toBeInstanceOf(TimeoutError)
  })

  test('retries network errors and rejects with NetworkError when the server stays unreachable', async () => {
    let calls = 0
    const baseUrl = await deadBaseUrl()
    const hh = createClient({
      baseUrl,
      maxRetries: 2,
      fetch: (input, init) => {
        calls++
        return fetch(input, init)
      },
    })
    const error = await hh.createModelEventBatch({ model_events: [{ event_id: uuid(5) }] }).catch((e) => e)
    expect(error).toBeInstanceOf(NetworkError)
    expect(error.eventIds).toEqual([uuid(5)])
    expect(calls).toBe(3)
  })

  test('after a partial 500 resends only the events not created, and reports every id', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    honeyhive.fail({ status: 500, created: 2 })
    const hh = createClient({ baseUrl })
    const ids = [uuid(1), uuid(2), uuid(3), uuid(4)]
    const response = await hh.createModelEventBatch({ model_events: ids.map((event_id) => ({ event_id })) })
    expect(response.event_ids).toEqual(ids)
    expect(storedIds(honeyhive.events)).toEqual(ids)
    expect(storedIds((posts(honeyhive)[1].body as { model_events: [] }).model_events)).toEqual([uuid(3), uuid(4)])
  })

  test('a partial 500 that created every event resolves, even on the last attempt', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const hh = createClient({ baseUrl, maxRetries: 0 })
    honeyhive.fail({ status: 500, created: 2 })
    const response = await hh.createModelEventBatch({ model_events: [{ event_id: uuid(1) }, { event_id: uuid(2) }] })
    expect(response).toMatchObject({ success: true, event_ids: [uuid(1), uuid(2)] })
    expect(posts(honeyhive)).toHaveLength(1)
  })

  test('a custom fetch gets a whole Request it can forward alone (a service binding, a logging wrapper)', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive({ apiKey: 'hh-key' })
    const seen: string[] = []
    const hh = createClient({
      baseUrl,
      apiKey: 'hh-key',
      dangerouslyAllowBrowser: true,
      maxRetries: 1,
      fetch: (input) => {
        const request = input as Request
        seen.push(`${request.method} ${request.url}`)
        return fetch(request)
      },
    })
    honeyhive.fail({ status: 503 })
    await expect(hh.createModelEventBatch({ model_events: [{ event_id: uuid(1) }] })).resolves.toMatchObject({
      event_ids: [uuid(1)],
    })
    expect(seen).toEqual([`POST ${baseUrl}/events/model/batch`, `POST ${baseUrl}/events/model/batch`])
    expect(storedIds(honeyhive.events)).toEqual([uuid(1)])
  })

  test('a fetch that rejects with something other than an Error still gives a NetworkError naming the events', async () => {
    for (const reason of [undefined, null, 'offline']) {
      const hh = createClient({ baseUrl: 'http://127.0.0.1:9', maxRetries: 0, fetch: () => Promise.reject(reason) })
      const error = await hh.createModelEventBatch({ model_events: [{ event_id: uuid(1) }] }).catch((e) => e)
      expect(error).toBeInstanceOf(NetworkError)
      expect(error.eventIds).toEqual([uuid(1)])
    }
  })

  test('reads Retry-After: 0 as no wait, and a malformed Retry-After as none', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const errors: unknown[] = []
    const hh = createClient({ baseUrl, maxRetries: 0 })
    for (const retryAfter of ['0', '1.5', 'soon']) {
      honeyhive.fail({ status: 429, retryAfter: retryAfter as never })
      await hh.createModelEventBatch({ model_events: [{}] }).catch((error) => errors.push(error))
    }
    expect(errors.map((error) => (error as HttpError).retryAfterMs)).toEqual([0, undefined, undefined])
  })

  test('rejects with InvalidResponseError when a 200 breaks the contract', async () => {
    const hh = createClient({ baseUrl: 'http://127.0.0.1:9', fetch: async () => Response.json({ ok: true }) })
    const error = await hh.createModelEventBatch({ model_events: [{ event_id: uuid(1) }] }).catch((e) => e)
    expect(error).toBeInstanceOf(InvalidResponseError)
    expect(error).toMatchObject({ body: { ok: true }, eventIds: [uuid(1)] })
  })

  test('looks up globalThis.fetch at call time', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const hh = createClient({ baseUrl })
    const original = globalThis.fetch
    let seen = 0
    globalThis.fetch = (input, init) => {
      seen++
      return original(input, init)
    }
    try {
      await hh.createModelEventBatch({ model_events: [{}] })
    } finally {
      globalThis.fetch = original
    }
    expect(seen).toBe(1)
    expect(honeyhive.events).toHaveLength(1)
  })
})

describe('createClient options', () => {
  test.each([
    [{ flushAt: 0 }, 'flushAt'],
    [{ flushIntervalMs: -1 }, 'flushIntervalMs'],
    [{ maxQueueSize: 1.5 }, 'maxQueueSize'],
    [{ maxRetries: -1 }, 'maxRetries'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ maxEventBytes: 10 }, 'maxEventBytes'],
    [{ maxBatchBytes: 2047 }, 'maxBatchBytes'],
    [{ maxBatchBytes: 'big' }, 'maxBatchBytes'],
    [{ maxEventBytes: 'big' }, 'maxEventBytes'],
    [{ maxBatchBytes: 100_000, maxEventBytes: 100_000 }, 'maxBatchBytes'],
    [{ timeoutMs: 2 ** 31 }, 'timeoutMs'],
    [{ flushIntervalMs: 3_000_000_000 }, 'flushIntervalMs'],
    [{ maxRetryAfterMs: 2 ** 31 }, 'maxRetryAfterMs'],
    [{ baseUrl: 'https://api.honeyhive.ai/?region=us' }, 'baseUrl'],
    [{ baseUrl: 'https://api.honeyhive.ai/#x' }, 'baseUrl'],
    [{ baseUrl: 'https://user:pass@api.honeyhive.ai' }, 'baseUrl'],
    [{ flushat: 5 }, 'flushat'],
    [{ sampleRate: 2 }, 'sampleRate'],
    [{ sampleRate: null }, 'sampleRate'],
    [{ flushAt: null }, 'flushAt'],
    [{ baseUrl: null }, 'baseUrl'],
    [{ baseUrl: 'api.honeyhive.ai' }, 'baseUrl'],
    [{ apiKey: '' }, 'apiKey'],
    [{ onError: 'log' }, 'onError'],
    [{ singleSession: 'yes' }, 'singleSession'],
    [{ debug: 'no' }, 'debug'],
    [{ beaconUrl: 5 }, 'beaconUrl'],
    [{ beaconUrl: '' }, 'beaconUrl'],
    [{ sessionId: '' }, 'sessionId'],
    [{ sessionId: 42 }, 'sessionId'],
    [{ sessionProperties: { start_time: 'now' } }, 'sessionProperties'],
  ])('refuses %o synchronously with a ConfigError naming %s', (options, option) => {
    let error: unknown
    try {
      createClient(options as never)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect(error).toMatchObject({ option })
    expect((error as Error).message).toContain(option)
  })

  const configError = (options: object): ConfigError => {
    try {
      createClient(options as never)
    } catch (caught) {
      return caught as ConfigError
    }
    throw new Error('no ConfigError')
  }

  test('a misspelt option names what was written and the option it probably meant', () => {
    expect(configError({ flushat: 5 }).message).toBe(
      'Invalid option `flushat`: is not an option; did you mean `flushAt`?',
    )
    expect(configError({ maxRetry: 5 }).message).toContain('did you mean `maxRetries`?')
    expect(configError({ timeout: 5 }).message).toContain('did you mean `timeoutMs`?')
    expect(configError({ colour: 'red' }).message).toBe('Invalid option `colour`: is not an option')
  })

  test('one byte limit given alone sets the other, rather than contradict a default', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const small = createClient({ baseUrl, maxBatchBytes: 100_000 })
    await small.createModelEventBatch({ model_events: [{ inputs: { text: 'x'.repeat(200_000) } }] })
    const stored = JSON.stringify(honeyhive.events[0])
    expect(stored.length).toBeLessThan(100_000)
    expect(stored).toContain('[truncated')
    const large = createClient({ baseUrl, maxEventBytes: 600_000 })
    await large.createModelEventBatch({ model_events: [{ inputs: { text: 'y'.repeat(550_000) } }] })
    expect(JSON.stringify(honeyhive.events[1])).not.toContain('[truncated')
    expect(configError({ maxBatchBytes: 100_000, maxEventBytes: 100_000 }).message).toBe(
      'Invalid option `maxBatchBytes`: must be at least maxEventBytes + 1024 (maxBatchBytes 100000, maxEventBytes 100000)',
    )
  })

  test('a baseUrl with a path keeps it; a query, fragment or credentials are refused without being echoed', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const hh = createClient({ baseUrl: `${baseUrl}/proxy/honeyhive/`, maxRetries: 0 })
    await hh.createModelEventBatch({ model_events: [{}] }).catch(() => {})
    expect(posts(honeyhive).map((request) => request.path)).toEqual(['/proxy/honeyhive/events/model/batch'])
    expect(configError({ baseUrl: 'https://api.honeyhive.ai/?key=hh_secret' }).message).not.toContain('hh_secret')
  })

  test('never echoes the API key in a configuration error, even when the key itself is refused', () => {
    const secret = 'sk-very-secret-value'
    for (const options of [
      { apiKey: secret, flushAt: -5 },
      { apiKey: { toString: () => secret } },
      { apiKey: [secret] },
    ]) {
      const error = (() => {
        try {
          createClient(options as never)
        } catch (caught) {
          return caught as Error
        }
      })()
      expect(error).toBeInstanceOf(ConfigError)
      expect(`${error?.message} ${JSON.stringify(error)}`).not.toContain(secret)
    }
  })
})
