import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ConfigError, createClient, type HoneyHiveError } from '../../src/index.js'
import { serve } from '../../src/node.js'
import { createFeedbackToken, createRelay, type QueueMessage, type RelayOptions } from '../../src/relay.js'

// Keyless feedback through the relay (issue 19 item 2): the relay forwards a page's update of one event with
// its key only for a valid token for that very event; otherwise 403 and nothing forwarded.

const key = 'hh-feedback-relay-key-31d0'
const secret = 'feedback-secret-0123456789-abcdefghij-XYZ'
const app = 'https://app.example.com'
const eventId = '5b0c6c3e-8f0e-4a57-9d0a-2f3b1c4d5e6f'
const otherId = '0d9a4a52-1c3e-4f2b-8a7d-6e5f4c3b2a10'

/** What reached the upstream: method, path, Authorization and the JSON body. */
const received: Array<{ method: string; path: string; authorization: string | null; body: unknown }> = []
let upstream: Awaited<ReturnType<typeof serve>>
beforeAll(async () => {
  upstream = await serve(async (request) => {
    const text = await request.text()
    received.push({
      method: request.method,
      path: new URL(request.url).pathname,
      authorization: request.headers.get('authorization'),
      body: text ? JSON.parse(text) : null,
    })
    // HoneyHive's update answer: 200 "Event updated", no body declared.
    return new Response(null, { status: 200 })
  })
})
afterAll(async () => {
  await upstream?.close()
})

function setup(options: Partial<RelayOptions> = {}) {
  received.length = 0
  const errors: HoneyHiveError[] = []
  const relay = createRelay({
    apiKey: key,
    baseUrl: upstream.url,
    allowedOrigins: [app],
    feedbackSecret: secret,
    onError: (error) => errors.push(error),
    ...options,
  })
  return { relay, errors }
}

const put = (body: object, init: { method?: string; type?: string } = {}) =>
  new Request('https://relay.example.com/events/model/batch', {
    method: init.method ?? 'PUT',
    headers: { origin: app, 'content-type': init.type ?? 'application/json' },
    body: JSON.stringify(body),
  })

/** The answer as a page sees it, checked to hold neither the key nor the secret. */
async function read(response: Response) {
  const text = await response.text()
  expect(text).not.toContain(key)
  expect(text).not.toContain(secret)
  return { status: response.status, body: text ? JSON.parse(text) : null }
}

describe('createFeedbackToken', () => {
  test('makes `<expiresAtMs>.<base64url HMAC>` that expires after ttlMs, 24 hours by default', async () => {
    const before = Date.now()
    const token = await createFeedbackToken({ secret, eventId })
    const [expires, mac] = token.split('.')
    expect(Number(expires) - before).toBeGreaterThanOrEqual(24 * 3600_000)
    expect(Number(expires) - Date.now()).toBeLessThanOrEqual(24 * 3600_000)
    expect(mac).toMatch(/^[\w-]{43}$/)
    const short = await createFeedbackToken({ secret, eventId, ttlMs: 60_000 })
    expect(Number(short.split('.')[0]) - Date.now()).toBeLessThanOrEqual(60_000)
  })

  test('refuses a short secret, a non-UUID event id and a bad ttl with a ConfigError that never quotes the secret', async () => {
    const weak = 'short-secret'
    const failures = await Promise.all([
      createFeedbackToken({ secret: weak, eventId }).catch((error) => error),
      createFeedbackToken({ secret, eventId: 'reply-1' }).catch((error) => error),
      createFeedbackToken({ secret, eventId, ttlMs: 0 }).catch((error) => error),
    ])
    expect(failures.map((error) => [error instanceof ConfigError, error.option])).toEqual([
      [true, 'secret'],
      [true, 'eventId'],
      [true, 'ttlMs'],
    ])
    for (const error of failures) expect(error.message).not.toContain(weak)
    expect(() => createRelay({ apiKey: key, allowedOrigins: [app], feedbackSecret: weak })).toThrow(/feedbackSecret/)
    const longKey = 'hh-a-long-project-key-0123456789-abcdef'
    expect(() => createRelay({ apiKey: longKey, allowedOrigins: [app], feedbackSecret: longKey })).toThrow(
      /not the API key/,
    )
  })
})

describe('the relay forwards an update only with a valid token for that very event', () => {
  test('a valid token: the update goes to the seed-era PUT /events with the key, without the token', async () => {
    const { relay, errors } = setup()
    const token = await createFeedbackToken({ secret, eventId })
    const { status, body } = await read(
      await relay(put({ event_id: eventId, feedback: { rating: 1, comment: 'spot on' }, token })),
    )
    expect([status, body]).toEqual([200, { success: true }])
    expect(received).toEqual([
      {
        method: 'PUT',
        path: '/events',
        authorization: `Bearer ${key}`,
        body: { event_id: eventId, feedback: { rating: 1, comment: 'spot on' } },
      },
    ])
    expect(errors).toEqual([])
  })

  test("on the v1 route: HoneyHive's PUT /v1/events/{event_id}, by a text/plain POST as a beacon sends it", async () => {
    const { relay } = setup({ route: '/v1/events/batch' })
    const token = await createFeedbackToken({ secret, eventId })
    const response = await relay(
      put({ event_id: eventId, feedback: { rating: 0 }, token }, { method: 'POST', type: 'text/plain;charset=UTF-8' }),
    )
    expect((await read(response)).status).toBe(200)
    expect(received).toEqual([
      {
        method: 'PUT',
        path: `/v1/events/${eventId}`,
        authorization: `Bearer ${key}`,
        body: { feedback: { rating: 0 } },
      },
    ])
  })

  test.each([
    [
      'a token for another event',
      async () => createFeedbackToken({ secret, eventId: otherId }),
      /not valid for this event/,
    ],
    ['an expired token', async () => createFeedbackToken({ secret, eventId, ttlMs: 1 }), /expired/],
    [
      'a token made with another secret',
      async () => createFeedbackToken({ secret: secret.replace('0', '1'), eventId }),
      /not valid for this event/,
    ],
    [
      'a token whose expiry was pushed back',
      async () =>
        (await createFeedbackToken({ secret, eventId, ttlMs: 1 })).replace(/^\d+/, String(Date.now() + 3_600_000)),
      /not valid/,
    ],
    ['a made-up token', async () => `${Date.now() + 60_000}.${'A'.repeat(43)}`, /not valid for this event/],
    ['no token', async () => undefined, /no feedback token/],
  ])('%s: 403, nothing forwarded', async (_, mint, why) => {
    const { relay } = setup()
    const token = await mint()
    await new Promise((resolve) => setTimeout(resolve, 5))
    const { status, body } = await read(await relay(put({ event_id: eventId, feedback: { rating: 1 }, token })))
    expect(status).toBe(403)
    expect(body.message).toMatch(why)
    expect(received).toEqual([])
  })

  test('without feedbackSecret the relay takes no update (403 saying what to set; PUT is not allowed), also with a token', async () => {
    const { relay } = setup({ feedbackSecret: undefined })
    const token = await createFeedbackToken({ secret, eventId })
    const { status, body } = await read(
      await relay(put({ event_id: eventId, feedback: { rating: 1 }, token }, { method: 'POST' })),
    )
    expect([status, body.message]).toEqual([403, expect.stringMatching(/feedbackSecret/)])
    expect((await read(await relay(put({ event_id: eventId, feedback: { rating: 1 }, token })))).status).toBe(405)
    expect(received).toEqual([])
  })

  test('with feedbackSecret a preflight allows PUT, so a page can send an update by fetch', async () => {
    const { relay } = setup()
    const preflight = new Request('https://relay.example.com/', {
      method: 'OPTIONS',
      headers: { origin: app, 'access-control-request-method': 'PUT' },
    })
    const response = await relay(preflight)
    expect([response.status, response.headers.get('access-control-allow-methods')]).toEqual([204, 'POST, PUT'])
  })

  test('a page may merge feedback, metadata, metrics and user_properties, never rewrite outputs or timings (400)', async () => {
    const { relay } = setup()
    const token = await createFeedbackToken({ secret, eventId })
    const { status, body } = await read(
      await relay(put({ event_id: eventId, outputs: { content: 'forged' }, duration: 1, token })),
    )
    expect([status, body.message]).toEqual([
      400,
      'outputs, duration: a page may update only feedback, metadata, metrics, user_properties',
    ])
    expect((await read(await relay(put({ event_id: eventId, feedback: 'good', token })))).status).toBe(400)
    expect(received).toEqual([])
  })

  test('under waitUntil: 202 at once, the update forwarded in the promise handed to waitUntil', async () => {
    const { relay } = setup()
    const pending: Array<Promise<unknown>> = []
    const token = await createFeedbackToken({ secret, eventId })
    const response = await relay(put({ event_id: eventId, feedback: { rating: 1 }, token }), {
      waitUntil: (promise: Promise<unknown>) => void pending.push(promise),
    })
    expect((await read(response)).status).toBe(202)
    expect(pending).toHaveLength(1)
    await Promise.all(pending)
    expect(received.map((request) => request.body)).toEqual([{ event_id: eventId, feedback: { rating: 1 } }])
  })

  test('with the Queues relay: 202 once queued (no token in the message), forwarded and acked by the consumer', async () => {
    const produced: unknown[] = []
    const { relay, errors } = setup({
      queue: { sendBatch: async (messages) => void produced.push(...[...messages].map((message) => message.body)) },
    })
    const token = await createFeedbackToken({ secret, eventId })
    expect((await read(await relay(put({ event_id: eventId, feedback: { rating: 1 }, token })))).status).toBe(202)
    expect(produced).toEqual([{ route: '/events/model/batch', update: { event_id: eventId, feedback: { rating: 1 } } }])
    const outcome: string[] = []
    const message: QueueMessage = {
      id: 'u1',
      body: produced[0],
      attempts: 1,
      ack: () => void outcome.push('ack'),
      retry: () => void outcome.push('retry'),
    }
    await relay.consume({ messages: [message] })
    expect(outcome).toEqual(['ack'])
    expect(received).toEqual([
      {
        method: 'PUT',
        path: '/events',
        authorization: `Bearer ${key}`,
        body: { event_id: eventId, feedback: { rating: 1 } },
      },
    ])
    expect(errors).toEqual([])
  })

  test("a keyless page's hh.feedback(eventId, feedback, { token }) reaches HoneyHive through the relay, with its key", async () => {
    const { relay, errors } = setup({ route: '/v1/events/batch' })
    const statuses: number[] = []
    const page = createClient({
      baseUrl: 'https://relay.example.com',
      onError: (error) => errors.push(error),
      fetch: async (input, init) => {
        const request = new Request(input, init)
        const response = await relay(
          new Request(request, { headers: { ...Object.fromEntries(request.headers), origin: app } }),
        )
        statuses.push(response.status)
        return response
      },
    })
    // The reply was logged by the server, which handed the page its id and a token.
    const token = await createFeedbackToken({ secret, eventId })
    page.feedback(eventId, { rating: 1, comment: 'spot on' }, { token })
    await page.flush()
    expect(statuses).toEqual([200])
    expect(received).toEqual([
      {
        method: 'PUT',
        path: `/v1/events/${eventId}`,
        authorization: `Bearer ${key}`,
        body: { feedback: { rating: 1, comment: 'spot on' } },
      },
    ])
    expect(errors).toEqual([])
  })

  test('a batch by PUT is refused (405): PUT carries updates only', async () => {
    const { relay } = setup()
    const response = await relay(put({ model_events: [{ model: 'm' }] }))
    expect((await read(response)).status).toBe(405)
    expect(received).toEqual([])
  })
})
