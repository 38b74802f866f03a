import { afterEach, describe, expect, test } from 'vitest'
import { startInspector } from '../../src/inspector/index.js'
import { createFakeHoneyHive } from '../../src/testing.js'

// The fake HoneyHive and the inspector take exactly what HoneyHive's Data Plane OpenAPI 1.9.0 takes
// (PostModelEventBatchRequest and its ModelEvent on the seed route, PostEventBatchRequest and PostEventRequest
// on v1; issue 22, item 13): a user's test against the fake must pass whatever HoneyHive accepts.

const seed = '/events/model/batch'
const v1 = '/v1/events/batch'
const uuid = () => crypto.randomUUID()

const accepted: Array<[string, string, Record<string, unknown>]> = [
  ['an unknown event key on the seed route', seed, { model_events: [{ model: 'gpt-4o', colour: 'blue' }] }],
  ['an unknown top-level key on the seed route', seed, { model_events: [{ model: 'gpt-4o' }], trace_id: 'abc' }],
  ['error: null on the seed route', seed, { model_events: [{ model: 'gpt-4o', error: null }] }],
  ['error: null on v1', v1, { events: [{ event_type: 'model', inputs: {}, error: null }] }],
  ['a non-UUID event_id on the seed route', seed, { model_events: [{ event_id: 'call-1', model: 'gpt-4o' }] }],
  ['a non-UUID event_id on v1', v1, { events: [{ event_type: 'model', inputs: {}, event_id: 'call-1' }] }],
  [
    'a non-UUID session_id on the seed route',
    seed,
    { model_events: [{ session_id: 'conversation-42', model: 'gpt-4o' }] },
  ],
  [
    'a non-UUID session_id, parent_id and children_ids on v1',
    v1,
    {
      events: [
        {
          event_type: 'chain',
          inputs: {},
          session_id: 'conversation-42',
          parent_id: 'turn-1',
          children_ids: ['call-1'],
        },
      ],
    },
  ],
  [
    'event_type tool, chain and session on the seed route',
    seed,
    { model_events: ['tool', 'chain', 'session'].map((event_type) => ({ event_type, event_name: event_type })) },
  ],
  [
    'v1 session_properties with source',
    v1,
    {
      events: [{ event_type: 'model', inputs: {} }],
      single_session: true,
      session_properties: { session_name: 'chat', source: 'staging' },
    },
  ],
  [
    'seed session_properties with source',
    seed,
    {
      model_events: [{ model: 'gpt-4o' }],
      single_session: true,
      session_properties: { session_name: 'chat', source: 'staging' },
    },
  ],
]

const refused: Array<[string, string, Record<string, unknown>]> = [
  ['an unknown event key on v1', v1, { events: [{ event_type: 'model', inputs: {}, model: 'gpt-4o' }] }],
  ['an unknown top-level key on v1', v1, { events: [{ event_type: 'model', inputs: {} }], trace_id: 'abc' }],
  ['an event without inputs on v1', v1, { events: [{ event_type: 'model' }] }],
  ['an event_type HoneyHive does not know', seed, { model_events: [{ event_type: 'llm' }] }],
  ['a string start_time', seed, { model_events: [{ start_time: '2026-12-07T12:00:00Z' }] }],
  ['outputs that are not an object', v1, { events: [{ event_type: 'model', inputs: {}, outputs: 'hello' }] }],
  ['a body without model_events', seed, { events: [] }],
]

const send = async (fake: ReturnType<typeof createFakeHoneyHive>, route: string, body: unknown) => {
  const response = await fake(new Request(`http://127.0.0.1:9${route}`, { method: 'POST', body: JSON.stringify(body) }))
  return { status: response.status, body: (await response.json()) as { message?: string; session_id?: string } }
}

describe('createFakeHoneyHive takes what HoneyHive takes', () => {
  test.each(accepted)('accepts %s and stores it as received', async (_name, route, body) => {
    const fake = createFakeHoneyHive()
    const { status } = await send(fake, route, body)
    expect(status).toBe(200)
    const sent = (body.model_events ?? body.events) as Array<Record<string, unknown>>
    expect(fake.events).toHaveLength(sent.length)
    sent.forEach((event, index) => expect(fake.events[index]).toMatchObject(event))
  })

  test.each(refused)('refuses %s with a 400 that says where', async (_name, route, body) => {
    const fake = createFakeHoneyHive()
    const { status, body: answer } = await send(fake, route, body)
    expect(status).toBe(400)
    expect(answer.message).toMatch(/^(model_events|events|body|trace_id)[\w.]*: /)
    expect(fake.events).toEqual([])
  })

  test.each([
    [seed, { model_events: [{ model: 'gpt-4o' }] }],
    [v1, { events: [{ event_type: 'model', inputs: {} }] }],
  ])('keeps source, and any other key, in the session properties it stores (%s)', async (route, events) => {
    const fake = createFakeHoneyHive()
    const { body } = await send(fake, route, {
      ...events,
      single_session: true,
      session_properties: { session_name: 'chat', source: 'staging', release: '1.2' },
    })
    expect(fake.sessions).toEqual([
      {
        session_id: body.session_id,
        properties: { session_name: 'chat', source: 'staging', release: '1.2' },
        events: fake.events,
      },
    ])
  })
})

describe('the inspector takes what HoneyHive takes', () => {
  const running: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.all(running.splice(0).map((close) => close()))
  })

  test('every body HoneyHive accepts is stored and shown, every body it refuses is refused', async () => {
    const { baseUrl, inspector, close } = await startInspector({ port: 0 })
    running.push(close)
    const post = (route: string, body: unknown) =>
      fetch(`${baseUrl}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    for (const [name, route, body] of accepted) expect([name, (await post(route, body)).status]).toEqual([name, 200])
    for (const [name, route, body] of refused) expect([name, (await post(route, body)).status]).toEqual([name, 400])
    const stored = inspector.requests().filter((request) => request.status === 200)
    expect(stored.map((request) => request.stored)).toEqual(
      accepted.map(([, , body]) => ((body.model_events ?? body.events) as unknown[]).length),
    )
    // A non-UUID session is a session like any other.
    expect(inspector.sessions().some((session) => session.session_id === 'conversation-42')).toBe(true)
    expect(inspector.event('call-1')?.received).toMatchObject({ event_id: 'call-1' })
  })
})
