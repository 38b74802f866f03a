import { afterEach, describe, expect, test } from 'vitest'
import { createClient } from '../../src/index.js'
import { startInspector } from '../../src/inspector/index.js'
import { updatePolicy } from '../../src/policy.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { sendUpdate } from '../../src/transport.js'

// HoneyHive's event-update routes on the fake and the inspector (issue 19, item 3), as Data Plane OpenAPI
// 1.9.0 gives them: `PUT /v1/events/{event_id}` (UpdateEventRequest) and the seed-era `PUT /events`
// (LegacyUpdateEventRequest, the id in the body); 404 for an event not stored.

const uuid = () => crypto.randomUUID()
const base = 'http://127.0.0.1:9'

/** A fake with one stored v1 event; returns both. */
async function stored(fake = createFakeHoneyHive()) {
  const event = {
    event_id: uuid(),
    session_id: uuid(),
    event_type: 'model',
    inputs: {},
    metadata: { prompt_tokens: 7 },
    feedback: { source: 'app' },
    outputs: { role: 'assistant', content: 'hi' },
    config: { model: 'gpt-4o' },
  }
  await fake(new Request(`${base}/v1/events/batch`, { method: 'POST', body: JSON.stringify({ events: [event] }) }))
  return { fake, event }
}

const put = (
  fake: ReturnType<typeof createFakeHoneyHive>,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) => fake(new Request(`${base}${path}`, { method: 'PUT', headers, body: JSON.stringify(body) }))

describe('the fake applies updates as HoneyHive does', () => {
  test('PUT /v1/events/{id} merges metadata, feedback, metrics, config and user_properties, replaces outputs, sets times, ignores other keys', async () => {
    const { fake, event } = await stored()
    const update = {
      metadata: { completion_tokens: 5 },
      feedback: { rating: 1, comment: 'Spot on' },
      metrics: { words: 2 },
      config: { temperature: 0 },
      user_properties: { plan: 'pro' },
      outputs: { role: 'assistant', content: 'hello' },
      duration: 42,
      end_time: 1_800_000_000_000,
      children_ids: ['a'],
      colour: 'blue',
    }
    const answer = await put(fake, `/v1/events/${event.event_id}`, update)
    expect(answer.status).toBe(200)
    expect(fake.events[0]).toEqual({
      ...event,
      metadata: { prompt_tokens: 7, completion_tokens: 5 },
      feedback: { source: 'app', rating: 1, comment: 'Spot on' },
      metrics: { words: 2 },
      config: { model: 'gpt-4o', temperature: 0 },
      user_properties: { plan: 'pro' },
      outputs: { role: 'assistant', content: 'hello' },
      duration: 42,
      end_time: 1_800_000_000_000,
      children_ids: ['a'],
    })
    expect(fake.sessions[0].events[0]).toBe(fake.events[0])
    expect(fake.updates).toEqual([
      { event_id: event.event_id, path: `/v1/events/${event.event_id}`, update, at: expect.any(Number) },
    ])
  })

  test('outputs: null keeps the outputs; an empty children_ids is ignored', async () => {
    const { fake, event } = await stored()
    expect(
      (await put(fake, `/v1/events/${event.event_id}`, { outputs: null, children_ids: [], feedback: { rating: 0 } }))
        .status,
    ).toBe(200)
    expect(fake.events[0]).toMatchObject({ outputs: event.outputs, feedback: { source: 'app', rating: 0 } })
    expect(fake.events[0]).not.toHaveProperty('children_ids')
  })

  test('PUT /events takes the same fields with event_id in the body, and needs it', async () => {
    const { fake, event } = await stored()
    expect((await put(fake, '/events', { event_id: event.event_id, feedback: { rating: false } })).status).toBe(200)
    expect(fake.events[0].feedback).toEqual({ source: 'app', rating: false })
    const missing = await put(fake, '/events', { feedback: { rating: 1 } })
    expect([missing.status, ((await missing.json()) as { message: string }).message]).toEqual([
      400,
      expect.stringContaining('event_id'),
    ])
  })

  test('an event it has not stored is a 404; a wrong type a 400; a wrong key a 404; POST to an update route a 405', async () => {
    const { fake, event } = await stored(createFakeHoneyHive({ apiKey: 'key' }))
    const auth = { authorization: 'Bearer key' }
    expect((await put(fake, `/v1/events/${uuid()}`, { feedback: { rating: 1 } }, auth)).status).toBe(404)
    for (const body of [{ feedback: 'good' }, { outputs: 'hello' }, { duration: '42' }, { children_ids: [1] }])
      expect((await put(fake, `/v1/events/${event.event_id}`, body, auth)).status).toBe(400)
    expect(
      (await put(fake, `/v1/events/${event.event_id}`, { feedback: { rating: 1 } }, { authorization: 'Bearer other' }))
        .status,
    ).toBe(404)
    expect(
      (await fake(new Request(`${base}/v1/events/${event.event_id}`, { method: 'POST', headers: auth, body: '{}' })))
        .status,
    ).toBe(405)
    expect(fake.updates).toEqual([])
  })

  test('scripted faults apply to updates: a 404 then a 200, played on the update and not on batches, as the client retries it', async () => {
    const { fake, event } = await stored()
    fake.fail({ on: 'update', status: 404, body: { statusCode: 404, message: 'Event not found', success: false } })
    // A batch in between does not take the update's fault.
    expect(
      (
        await fake(
          new Request(`${base}/v1/events/batch`, {
            method: 'POST',
            body: JSON.stringify({ events: [{ event_type: 'tool', inputs: {} }] }),
          }),
        )
      ).status,
    ).toBe(200)
    const retries: number[] = []
    const options = {
      url: base,
      base,
      apiKey: 'key',
      fetch: (input: RequestInfo | URL, init?: RequestInit) => fake(new Request(input, init)),
      timeoutMs: 1000,
      maxTimeoutMs: 1000,
      maxRetries: 3,
      maxRetryAfterMs: 1000,
      policy: updatePolicy,
    }
    await sendUpdate({ event_id: event.event_id, feedback: { rating: 1 } }, '/v1/events/batch', {
      ...options,
      onRetry: (attempt) => retries.push(attempt),
    })
    expect(retries).toEqual([1])
    expect(fake.requests.filter((request) => request.method === 'PUT').map((request) => request.status)).toEqual([
      404, 200,
    ])
    expect(fake.updates).toHaveLength(1)
    expect(fake.events[0].feedback).toEqual({ source: 'app', rating: 1 })
  })
})

describe("the client's feedback against the fake", () => {
  test.each(['/v1/events/batch', '/events/model/batch'] as const)(
    'on %s: an update answered 404 (not stored yet) is retried and lands',
    async (route) => {
      const fake = createFakeHoneyHive({ apiKey: 'key' })
      const errors: unknown[] = []
      const hh = createClient({
        apiKey: 'key',
        baseUrl: base,
        route,
        fetch: (input, init) => fake(new Request(input, init)),
        flushIntervalMs: 60_000,
        onError: (error) => errors.push(error),
      })
      const eventId = hh.log({ event_name: 'answer', model: 'gpt-4o' })
      await hh.flush()
      fake.fail({ on: 'update', status: 404, body: { statusCode: 404, message: 'Event not found', success: false } })
      hh.feedback(eventId, { rating: 1, comment: 'Spot on' })
      await hh.flush({ timeoutMs: 10_000 })
      expect(errors).toEqual([])
      const puts = fake.requests.filter((request) => request.method === 'PUT')
      expect(puts.map((request) => [request.path, request.status])).toEqual([
        [route === '/v1/events/batch' ? `/v1/events/${eventId}` : '/events', 404],
        [route === '/v1/events/batch' ? `/v1/events/${eventId}` : '/events', 200],
      ])
      expect(fake.events[0].feedback).toEqual({ rating: 1, comment: 'Spot on' })
      await hh.shutdown({ timeoutMs: 100 })
    },
    20_000,
  )
})

describe('the inspector applies updates and shows feedback on its event', () => {
  const running: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.all(running.splice(0).map((close) => close()))
  })

  test.each([
    ['PUT /v1/events/{id}', (id: string) => [`/v1/events/${id}`, {}]],
    ['PUT /events', (id: string) => ['/events', { event_id: id }]],
  ] as const)(
    '%s: feedback becomes a thumb on the event, the comment is kept, an unknown event is a 404',
    async (_name, target) => {
      const { baseUrl, inspector, close } = await startInspector({ port: 0 })
      running.push(close)
      const event = {
        event_id: uuid(),
        session_id: uuid(),
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
      }
      await fetch(`${baseUrl}/events/model/batch`, { method: 'POST', body: JSON.stringify({ model_events: [event] }) })
      const send = (id: string, fields: object) => {
        const [path, extra] = target(id)
        return fetch(`${baseUrl}${path}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...extra, ...fields }),
        })
      }
      expect((await send(event.event_id, { feedback: { rating: 1, comment: 'Spot on' } })).status).toBe(200)
      expect(inspector.events(event.session_id)[0]).toMatchObject({
        updates: 1,
        feedback: { thumb: 'up', rating: '1', comment: 'Spot on' },
      })
      expect(inspector.event(event.event_id)!.received.feedback).toEqual({ rating: 1, comment: 'Spot on' })
      expect((await send(event.event_id, { feedback: { rating: 'negative' } })).status).toBe(200)
      expect(inspector.events(event.session_id)[0].feedback).toMatchObject({ thumb: 'down', comment: 'Spot on' })
      expect((await send(uuid(), { feedback: { rating: 1 } })).status).toBe(404)
      expect((await send(event.event_id, { feedback: 'good' })).status).toBe(400)
      expect(
        inspector
          .requests()
          .slice(1)
          .map((request) => [request.method, request.status]),
      ).toEqual([
        ['PUT', 200],
        ['PUT', 200],
        ['PUT', 404],
        ['PUT', 400],
      ])
    },
  )

  test('a keyless update posted to a batch route (what a page sends its relay) is applied, as the relay would forward it', async () => {
    const { baseUrl, inspector, close } = await startInspector({ port: 0 })
    running.push(close)
    const event = { event_type: 'model', inputs: {}, event_id: uuid(), session_id: uuid() }
    await fetch(`${baseUrl}/v1/events/batch`, { method: 'POST', body: JSON.stringify({ events: [event] }) })
    const post = (body: object) =>
      fetch(`${baseUrl}/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify(body),
      })
    expect(
      (await post({ event_id: event.event_id, feedback: { rating: 1, comment: 'nice' }, token: 'opaque' })).status,
    ).toBe(200)
    expect(inspector.events(event.session_id)[0].feedback).toMatchObject({ thumb: 'up', comment: 'nice' })
    expect((await post({ event_id: uuid(), feedback: { rating: 1 } })).status).toBe(404)
    expect(inspector.requests().at(-1)?.note).toContain('keyless event update')
  })

  test("a keyless client's hh.feedback, pointed at the inspector as at its relay, shows on the event", async () => {
    const { baseUrl, inspector, close } = await startInspector({ port: 0 })
    running.push(close)
    const hh = createClient({ baseUrl, flushIntervalMs: 60_000 })
    const eventId = hh.log({ event_name: 'answer', model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
    await hh.flush()
    hh.feedback(eventId, { rating: 0, comment: 'Wrong order number' }, { token: 'minted-by-the-server' })
    await hh.flush({ timeoutMs: 5000 })
    await hh.shutdown({ timeoutMs: 100 })
    expect(inspector.events(hh.sessionId)[0]).toMatchObject({
      event_id: eventId,
      feedback: { thumb: 'down', comment: 'Wrong order number' },
    })
  })

  test('a scheduled fault is played on an update too', async () => {
    const { baseUrl, inspector, close } = await startInspector({ port: 0 })
    running.push(close)
    const event = { event_type: 'model', inputs: {}, event_id: uuid(), session_id: uuid() }
    await fetch(`${baseUrl}/v1/events/batch`, { method: 'POST', body: JSON.stringify({ events: [event] }) })
    inspector.fail({ kind: '429', retryAfter: 1 })
    const put = () =>
      fetch(`${baseUrl}/v1/events/${event.event_id}`, {
        method: 'PUT',
        body: JSON.stringify({ feedback: { rating: true } }),
      })
    expect((await put()).status).toBe(429)
    expect((await put()).status).toBe(200)
    expect(inspector.events(event.session_id)[0].feedback?.thumb).toBe('up')
  })
})
