import { describe, expect, test, vi } from 'vitest'
import { createClient, ConfigError, HttpError, type HoneyHiveError } from '../../src/index.js'
import { serve } from '../../src/node.js'
import { createRelay, type RelayOptions } from '../../src/relay.js'
import { posts, startFakeHoneyHive } from '../helpers/fake-server.js'
import { logged, onV1 } from '../helpers/v1-fixtures.js'

const key = 'hh-relay-secret-key-9f3a'
const app = 'https://app.example.com'
const uuid = (n: number) => `7f22137a-6911-4ed3-bc36-110f1dde6b${String(n).padStart(2, '0')}`
const batch = (n = 1) => ({
  model_events: Array.from({ length: n }, (_, i) => ({ event_id: uuid(i + 1), model: 'gpt-4o', provider: 'openai' })),
})

/** A relay in front of a loopback fake HoneyHive that requires the key. */
async function setup(options: Partial<RelayOptions> = {}) {
  const upstream = await startFakeHoneyHive({ apiKey: key })
  const errors: HoneyHiveError[] = []
  const relay = createRelay({
    apiKey: key,
    baseUrl: upstream.baseUrl,
    allowedOrigins: [app],
    onError: (e) => errors.push(e),
    ...options,
  })
  return { ...upstream, relay, errors }
}

const post = (body: BodyInit | null, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  new Request('https://relay.example.com/events/model/batch', {
    method: 'POST',
    body,
    headers: { origin: app, 'content-type': 'application/json', ...headers },
    ...init,
  })

/** Reads a response as a user would see it, and checks the key is nowhere in it. */
async function read(response: Response) {
  const text = await response.text()
  expect(text + JSON.stringify([...response.headers])).not.toContain(key)
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null }
}

/** A body stream that never ends, counting how many chunks were pulled from it. */
function endlessBody() {
  const chunk = new TextEncoder().encode(`{"model_events":[${'{"model":"x"},'.repeat(500)}`)
  const stats = { pulls: 0, cancelled: false }
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      stats.pulls++
      controller.enqueue(chunk)
    },
    cancel() {
      stats.cancelled = true
    },
  })
  return { stream, stats, chunkBytes: chunk.byteLength }
}

describe('createRelay refusals', () => {
  test('refuses a POST from an origin that is not allowed with 403 and no CORS grant', async () => {
    const { relay, honeyhive } = await setup()
    const { status, headers, body } = await read(
      await relay(post(JSON.stringify(batch()), { origin: 'https://evil.example' })),
    )
    expect(status).toBe(403)
    expect(headers.get('access-control-allow-origin')).toBeNull()
    expect(body.message).toMatch(/origin/i)
    expect(honeyhive.requests).toHaveLength(0)
  })

  test('reports a refused origin to onError once per origin, so a wrong allowedOrigins list is noticed', async () => {
    const { relay, errors } = await setup()
    for (const origin of ['https://evil.example', 'https://evil.example', 'https://app.example.com:8443']) {
      expect((await read(await relay(post(JSON.stringify(batch()), { origin })))).status).toBe(403)
    }
    expect(errors.map((error) => error.message)).toEqual([
      'Refused a POST from origin "https://evil.example": not in allowedOrigins (reported once per origin)',
      'Refused a POST from origin "https://app.example.com:8443": not in allowedOrigins (reported once per origin)',
    ])
    // Past 100 distinct origins nothing more is kept or reported.
    for (let i = 0; i < 150; i++) await relay(post('{}', { origin: `https://spam${i}.example` }))
    expect(errors).toHaveLength(100)
  })

  test('refuses a POST with no Origin header, and an origin that differs only by scheme or port', async () => {
    const { relay, honeyhive } = await setup()
    const none = new Request('https://relay.example.com/', { method: 'POST', body: JSON.stringify(batch()) })
    expect((await read(await relay(none))).status).toBe(403)
    expect((await read(await relay(post(JSON.stringify(batch()), { origin: 'http://app.example.com' })))).status).toBe(
      403,
    )
    expect(
      (await read(await relay(post(JSON.stringify(batch()), { origin: 'https://app.example.com:8443' })))).status,
    ).toBe(403)
    expect(honeyhive.requests).toHaveLength(0)
  })

  test('answers 405 with an Allow header to methods other than POST and OPTIONS', async () => {
    const { relay } = await setup()
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const { status, headers } = await read(
        await relay(new Request('https://relay.example.com/', { method, headers: { origin: app } })),
      )
      expect(status).toBe(405)
      expect(headers.get('allow')).toBe('POST, OPTIONS')
    }
  })

  test('answers 400 naming the problem when the body is not JSON', async () => {
    const { relay, honeyhive } = await setup()
    const { status, body } = await read(await relay(post('{"model_events": [', { 'content-type': 'text/plain' })))
    expect(status).toBe(400)
    expect(body).toMatchObject({ success: false, message: expect.stringMatching(/not JSON/) })
    expect(honeyhive.requests).toHaveLength(0)
  })

  test('answers 400 with the field path when the batch breaks the contract', async () => {
    const { relay, honeyhive } = await setup()
    const bad = { model_events: [{ model: 'x', start_time: '2024-01-01' }] }
    const { status, body } = await read(await relay(post(JSON.stringify(bad))))
    expect(status).toBe(400)
    expect(body.message).toContain('model_events.0.start_time')
    expect((await read(await relay(post(JSON.stringify({ events: [] }))))).body.message).toContain('model_events')
    expect(honeyhive.requests).toHaveLength(0)
  })

  test('answers 415 to content types other than JSON and text/plain', async () => {
    const { relay } = await setup()
    const { status } = await read(
      await relay(post('model_events=1', { 'content-type': 'application/x-www-form-urlencoded' })),
    )
    expect(status).toBe(415)
  })

  test('answers 413 to a body over maxBodyBytes that never ends, after reading only past the limit', async () => {
    const { relay, honeyhive } = await setup({ maxBodyBytes: 16 * 1024 })
    const { stream, stats, chunkBytes } = endlessBody()
    const response = await relay(post(stream, {}, { duplex: 'half' } as RequestInit))
    expect((await read(response)).status).toBe(413)
    expect(stats.pulls * chunkBytes).toBeLessThan(16 * 1024 + 3 * chunkBytes)
    await vi.waitFor(() => expect(stats.cancelled).toBe(true))
    expect(honeyhive.requests).toHaveLength(0)
  })

  test('answers 413 at once when Content-Length announces too much', async () => {
    const { relay } = await setup({ maxBodyBytes: 2048 })
    const { stream, stats } = endlessBody()
    const response = await relay(post(stream, { 'content-length': '999999' }, { duplex: 'half' } as RequestInit))
    expect((await read(response)).status).toBe(413)
    expect(stats.pulls).toBeLessThanOrEqual(1) // the stream's own start-up pull, no reading by the relay
  })

  test('answers 413 to more events than maxEvents, so a client halves its batch', async () => {
    const { relay, honeyhive } = await setup({ maxEvents: 5 })
    expect((await read(await relay(post(JSON.stringify(batch(6)))))).status).toBe(413)
    expect((await read(await relay(post(JSON.stringify(batch(5)))))).status).toBe(200)
    expect(honeyhive.events).toHaveLength(5)
  })
})

describe('createRelay CORS', () => {
  test('answers a preflight from an allowed origin, allowing POST and Content-Type but not Authorization', async () => {
    const { relay } = await setup()
    const preflight = new Request('https://relay.example.com/events/model/batch', {
      method: 'OPTIONS',
      headers: {
        origin: app,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    const { status, headers } = await read(await relay(preflight))
    expect(status).toBe(204)
    expect(headers.get('access-control-allow-origin')).toBe(app)
    expect(headers.get('access-control-allow-methods')).toBe('POST')
    expect(headers.get('access-control-allow-headers')).toBe('content-type')
    expect(headers.get('vary')).toContain('Origin')
  })

  test('refuses a preflight from another origin', async () => {
    const { relay } = await setup()
    const preflight = new Request('https://relay.example.com/', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com.evil.example' },
    })
    const { status, headers } = await read(await relay(preflight))
    expect(status).toBe(403)
    expect(headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('createRelay forwarding', () => {
  test('forwards a text/plain beacon to HoneyHive with the key added, and answers the event ids', async () => {
    const { relay, honeyhive } = await setup()
    const response = await relay(post(JSON.stringify(batch(2)), { 'content-type': 'text/plain;charset=UTF-8' }))
    const { status, headers, body } = await read(response)
    expect(status).toBe(200)
    expect(headers.get('access-control-allow-origin')).toBe(app)
    expect(body).toMatchObject({ event_ids: [uuid(1), uuid(2)], success: true })
    const [upstream] = posts(honeyhive)
    expect(upstream.path).toBe('/events/model/batch')
    expect(upstream.headers.authorization).toBe(`Bearer ${key}`)
    expect(upstream.headers['content-type']).toBe('application/json')
    expect(honeyhive.events.map((event) => event.event_id)).toEqual([uuid(1), uuid(2)])
  })

  test('stamps project, source and event ids where missing, keeps session fields, and drops unknown keys', async () => {
    const { relay, honeyhive } = await setup({ project: 'chat', source: 'production' })
    const body = {
      model_events: [
        { model: 'a', sneaky: 1 },
        { model: 'b', project: 'other' },
      ],
      single_session: true,
    }
    const { body: answer } = await read(await relay(post(JSON.stringify(body))))
    expect(honeyhive.events).toMatchObject([
      { model: 'a', project: 'chat', source: 'production', event_type: 'model', event_id: answer.event_ids[0] },
      { model: 'b', project: 'other', source: 'production', event_id: answer.event_ids[1] },
    ])
    expect(honeyhive.events[0]).not.toHaveProperty('sneaky')
    expect(posts(honeyhive)[0].body).toMatchObject({ single_session: true })
  })

  test('sends only to the configured upstream, whatever path, query or Host the request carries', async () => {
    const { relay, honeyhive, baseUrl } = await setup()
    const other = await startFakeHoneyHive()
    const request = new Request(`${other.baseUrl}/elsewhere?baseUrl=${encodeURIComponent(other.baseUrl)}`, {
      method: 'POST',
      body: JSON.stringify(batch()),
      headers: { origin: app, host: new URL(other.baseUrl).host, 'x-forwarded-host': 'evil.example' },
    })
    expect((await read(await relay(request))).status).toBe(200)
    expect(posts(honeyhive).map((r) => r.path)).toEqual(['/events/model/batch'])
    expect(other.honeyhive.requests).toHaveLength(0)
    expect(baseUrl).not.toBe(other.baseUrl)
  })

  // A `fetch` option may forward only the Request (a service binding does): the Request itself must say manual.
  test.each([
    ['the runtime fetch', undefined],
    ['a fetch option that forwards only the Request', (request: string | URL | Request) => fetch(request)],
  ])(
    'does not follow an upstream redirect, to another host or path, with %s: the key goes nowhere else',
    async (_, given) => {
      const elsewhere = await startFakeHoneyHive()
      for (const target of [`${elsewhere.baseUrl}/events/model/batch`, '/some/other/path']) {
        const paths: string[] = []
        const redirector = await serve((request) => {
          paths.push(new URL(request.url).pathname)
          return new Response(null, { status: 307, headers: { location: target } })
        })
        const errors: HoneyHiveError[] = []
        const relay = createRelay({
          apiKey: key,
          baseUrl: redirector.url,
          allowedOrigins: [app],
          onError: (e) => errors.push(e),
          ...(given ? { fetch: given } : {}),
        })
        const { status } = await read(await relay(post(JSON.stringify(batch()))))
        await redirector.close()
        expect(status).toBe(502)
        expect(paths).toEqual(['/events/model/batch'])
        expect(errors[0]).toMatchObject({ status: 307 })
      }
      expect(elsewhere.honeyhive.requests).toHaveLength(0)
    },
  )

  test('answers an empty batch at once without calling HoneyHive', async () => {
    const { relay, honeyhive } = await setup()
    const { status, body } = await read(await relay(post('{"model_events":[]}')))
    expect(status).toBe(200)
    expect(body).toEqual({ event_ids: [], success: true })
    expect(honeyhive.requests).toHaveLength(0)
  })

  test('retries upstream failures and delivers the events once', async () => {
    const { relay, honeyhive } = await setup()
    honeyhive.fail({ status: 500 }, { status: 503 })
    const { status, body } = await read(await relay(post(JSON.stringify(batch(2)))))
    expect(status).toBe(200)
    expect(body.event_ids).toEqual([uuid(1), uuid(2)])
    expect(posts(honeyhive).map((r) => r.status)).toEqual([500, 503, 200])
    expect(honeyhive.events).toHaveLength(2)
  })

  test('answers 502 when HoneyHive refuses, reporting a key-free error without its cause', async () => {
    const { baseUrl } = await startFakeHoneyHive({ apiKey: 'the-right-key' })
    const errors: HoneyHiveError[] = []
    const relay = createRelay({ apiKey: key, baseUrl, allowedOrigins: [app], onError: (e) => errors.push(e) })
    const { status, body } = await read(await relay(post(JSON.stringify(batch()))))
    expect(status).toBe(502)
    expect(body.message).toContain('404')
    expect(errors[0]).toBeInstanceOf(HttpError)
    expect(errors[0].cause).toBeUndefined()
    expect(JSON.stringify(errors[0]) + errors[0].message).not.toContain(key)
  })

  test('passes a 429 through with its Retry-After, readable cross-origin, once retries are spent', async () => {
    const { relay, honeyhive } = await setup({ maxRetries: 0 })
    honeyhive.fail({ status: 429, retryAfter: 7 })
    const { status, headers } = await read(await relay(post(JSON.stringify(batch()))))
    expect(status).toBe(429)
    expect(headers.get('retry-after')).toBe('7')
    expect(headers.get('access-control-expose-headers')).toBe('retry-after')
  })

  test('logs upstream failures without the key when no onError is given', async () => {
    const { baseUrl, honeyhive } = await startFakeHoneyHive({ apiKey: key })
    honeyhive.fail({ status: 400, body: { message: `bad request for Bearer ${key}` } })
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const relay = createRelay({ apiKey: key, baseUrl, allowedOrigins: [app] })
      const { status, body } = await read(await relay(post(JSON.stringify(batch()))))
      expect(status).toBe(502)
      expect(body.message).toContain('400')
      expect(logged).toHaveBeenCalledTimes(1)
      expect(JSON.stringify(logged.mock.calls)).not.toContain(key)
      expect(String(logged.mock.calls[0][0])).toContain('[redacted]')
    } finally {
      logged.mockRestore()
    }
  })

  test('reads every upstream response body, failed attempts included', async () => {
    const { honeyhive, baseUrl } = await setup()
    honeyhive.fail({ status: 500 }, { status: 502 })
    const seen: Response[] = []
    const relay = createRelay({
      apiKey: key,
      baseUrl,
      allowedOrigins: [app],
      fetch: async (input, init) => {
        const response = await fetch(input, init)
        seen.push(response)
        return response
      },
    })
    expect((await read(await relay(post(JSON.stringify(batch()))))).status).toBe(200)
    expect(seen.map((r) => r.status)).toEqual([500, 502, 200])
    expect(seen.every((r) => r.bodyUsed)).toBe(true)
  })
})

describe('createRelay with waitUntil', () => {
  test('answers 202 before HoneyHive has answered, and delivers inside waitUntil', async () => {
    const { relay, honeyhive } = await setup()
    honeyhive.fail({ status: 200, delayMs: 300 })
    const pending: Promise<unknown>[] = []
    const response = await relay(post(JSON.stringify(batch(2))), { waitUntil: (p) => pending.push(p) })
    const { status, body } = await read(response)
    expect(status).toBe(202)
    expect(body).toEqual({ event_ids: [uuid(1), uuid(2)], success: true })
    expect(pending).toHaveLength(1)
    expect(honeyhive.events).toHaveLength(0)
    await Promise.all(pending)
    expect(honeyhive.events.map((event) => event.event_id)).toEqual([uuid(1), uuid(2)])
  })

  test('reports a failure that happens after the response instead of rejecting waitUntil', async () => {
    const { relay, honeyhive, errors } = await setup({ maxRetries: 0 })
    honeyhive.fail({ status: 503 })
    const pending: Promise<unknown>[] = []
    expect((await read(await relay(post(JSON.stringify(batch())), { waitUntil: (p) => pending.push(p) }))).status).toBe(
      202,
    )
    await expect(Promise.all(pending)).resolves.toBeDefined()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ status: 503, eventIds: [uuid(1)] })
  })
})

describe('createRelay with the client', () => {
  test('a keyless client posting through the relay over loopback gets its events to HoneyHive with the key', async () => {
    const { relay, honeyhive } = await setup()
    const server = await serve((request) => relay(request))
    try {
      const hh = createClient({
        baseUrl: server.url,
        // Node's fetch sends no Origin; a browser would.
        fetch: (input, init) =>
          fetch(new Request(input, init), { headers: { origin: app, 'content-type': 'application/json' } }),
      })
      hh.log({ model: 'gpt-4o' })
      hh.log({ model: 'gpt-4o-mini' })
      expect(await hh.flush()).toMatchObject({ sent: 2, failed: 0 })
      expect(honeyhive.events.map((event) => event.model)).toEqual(['gpt-4o', 'gpt-4o-mini'])
      expect(posts(honeyhive)[0].headers.authorization).toBe(`Bearer ${key}`)
    } finally {
      await server.close()
    }
  })
})

describe('createRelay configuration', () => {
  test.each([
    [{ apiKey: '', allowedOrigins: [app] }, 'apiKey'],
    [{ apiKey: undefined, allowedOrigins: [app] }, 'apiKey'],
    [{ apiKey: key, allowedOrigins: [] }, 'allowedOrigins'],
    [{ apiKey: key, allowedOrigins: ['*'] }, 'allowedOrigins'],
    [{ apiKey: key, allowedOrigins: ['https://app.example.com/'] }, 'allowedOrigins'],
    [{ apiKey: key, allowedOrigins: [app], maxBodyBytes: 10 }, 'maxBodyBytes'],
    [{ apiKey: key, allowedOrigins: [app], maxEvents: 0 }, 'maxEvents'],
    [{ apiKey: key, allowedOrigins: [app], baseUrl: 'ftp://x' }, 'baseUrl'],
    [{ apiKey: key, allowedOrigins: [app], timeoutMs: -1 }, 'timeoutMs'],
    [{ apiKey: key, allowedOrigins: [app], project: 42 }, 'project'],
    [{ apiKey: key, allowedOrigins: [app], timeoutMs: null }, 'timeoutMs'],
    [{ apiKey: key, allowedOrigins: [app], onError: 'log' }, 'onError'],
  ])('throws a ConfigError naming the option, never the key (%#)', (options, option) => {
    let thrown: unknown
    try {
      createRelay(options as unknown as RelayOptions)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ConfigError)
    expect(thrown).toMatchObject({ option })
    expect(String((thrown as Error).message)).not.toContain(key)
  })
})

describe('createRelay and a throwing onError', () => {
  test('an onError that throws changes neither the answer nor the waitUntil promise', async () => {
    const { relay, honeyhive } = await setup({
      maxRetries: 0,
      onError: () => {
        throw new Error('handler bug')
      },
    })
    honeyhive.fail({ status: 401 })
    expect((await read(await relay(post(JSON.stringify(batch()))))).status).toBe(502)
    honeyhive.fail({ status: 401 })
    const waited: Promise<unknown>[] = []
    expect(
      (await read(await relay(post(JSON.stringify(batch())), { waitUntil: (p) => void waited.push(p) }))).status,
    ).toBe(202)
    await expect(Promise.all(waited)).resolves.toBeDefined()
  })
})

describe('the relay on v1', () => {
  test('takes the seed shape from pages (fetch or beacon) and forwards it to HoneyHive in v1, mapped', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive({ apiKey: key })
    const relay = createRelay({
      apiKey: key,
      baseUrl,
      route: '/v1/events/batch',
      allowedOrigins: ['https://app.example.com'],
      onError: () => {},
    })
    // A page's request, as a browser sends it: with its Origin.
    const fromPage = (input: Request | string | URL, init?: RequestInit) => {
      const request = new Request(input, init)
      return relay(
        new Request(request, {
          headers: { ...Object.fromEntries(request.headers), origin: 'https://app.example.com' },
        }),
      )
    }
    const page = createClient({ baseUrl: 'https://relay.example.com', fetch: fromPage })
    page.log(logged)
    await page.flush()
    expect(honeyhive.events).toEqual([onV1])
    expect(posts(honeyhive)[0].path).toBe('/v1/events/batch')
    const beacon = await relay(
      new Request('https://relay.example.com/events/model/batch', {
        method: 'POST',
        headers: { origin: 'https://app.example.com', 'content-type': 'text/plain' },
        body: JSON.stringify({ model_events: [{ model: 'gpt-4o' }], is_single_session: true }),
      }),
    )
    expect(beacon.status).toBe(200)
    expect(posts(honeyhive)[1].body).toMatchObject({
      events: [{ event_type: 'model', config: { model: 'gpt-4o' }, inputs: {} }],
      single_session: true,
    })
  })
})

test('after an upstream timeout the relay gives the next attempt longer, instead of a copy per attempt', async () => {
  const { honeyhive, baseUrl } = await startFakeHoneyHive({ apiKey: key })
  for (let i = 0; i < 4; i++) honeyhive.fail({ delayMs: 150 })
  const relay = createRelay({ apiKey: key, allowedOrigins: [app], baseUrl, timeoutMs: 100, onError: () => {} })
  const response = await relay(post(JSON.stringify(batch())))
  await new Promise((resolve) => setTimeout(resolve, 300))
  // The first attempt timed out (and was stored anyway), the second had up to 7 s and succeeded.
  expect({ status: response.status, stored: honeyhive.events.length }).toEqual({ status: 200, stored: 2 })
})

test('through a Worker-style relay (waitUntil), a page with singleSession keeps one session over three batches', async () => {
  const { honeyhive, baseUrl } = await startFakeHoneyHive({ apiKey: key })
  const pending: Array<Promise<unknown>> = []
  const relay = createRelay({ apiKey: key, allowedOrigins: [app], baseUrl, onError: () => {} })
  const hh = createClient({
    baseUrl: 'https://relay.example.com',
    singleSession: true,
    flushIntervalMs: 60_000,
    fetch: (input, init) => {
      const request = new Request(input, init)
      return relay(new Request(request, { headers: { ...Object.fromEntries(request.headers), origin: app } }), {
        waitUntil: (promise) => void pending.push(promise),
      })
    },
  })
  for (let turn = 0; turn < 3; turn++) {
    hh.log({ model: 'gpt-4o', event_name: `turn ${turn}` })
    await hh.flush()
    await Promise.all(pending)
  }
  expect(honeyhive.events).toHaveLength(3)
  expect(honeyhive.sessions.map((session) => [session.session_id, session.events.length])).toEqual([[hh.sessionId, 3]])
})
