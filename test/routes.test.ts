import { describe, expect, test } from 'vitest'
import { ConfigError, createClient, type ClientOptions, type HoneyHiveError, type ModelEvent } from '../src/index.js'
import { createRelay } from '../src/relay.js'
import { createFakeHoneyHive } from '../src/testing.js'
import { onRoute, posts, routes, startFakeHoneyHive, storedIds } from './helpers/fake-server.js'
import { logged, onV1, uuid } from './helpers/v1-fixtures.js'

// HoneyHive's current route, /v1/events/batch (issue 11): the mapping, the strict fake, sessions that hold a
// conversation across batches on both routes, and clearer answers.

const v1 = '/v1/events/batch'
const key = 'hh-v1-test-key'

async function v1Client(options: ClientOptions = {}) {
  const { honeyhive, baseUrl } = await startFakeHoneyHive({ apiKey: key })
  const errors: HoneyHiveError[] = []
  const hh = createClient({
    baseUrl,
    apiKey: key,
    dangerouslyAllowBrowser: true,
    route: v1,
    flushIntervalMs: 60_000,
    onError: (error) => errors.push(error),
    ...options,
  })
  return { honeyhive, hh, errors, baseUrl }
}

describe('the v1 wire format', () => {
  test('every seed field lands where HoneyHive renders it, the user-set keys winning, and project is dropped', async () => {
    const { honeyhive, hh, errors } = await v1Client()
    hh.log(logged)
    await hh.flush()
    expect(errors).toEqual([])
    expect(honeyhive.events).toEqual([onV1])
    const [request] = posts(honeyhive)
    expect(request.path).toBe(v1)
    expect(request.headers.authorization).toBe(`Bearer ${key}`)
    expect(Object.keys(request.body as object)).toEqual(['events'])
  })

  test('an event with nothing but a model still carries event_type and an empty inputs; responses of other shapes go to text or value', async () => {
    const { honeyhive, hh } = await v1Client({ sessionId: uuid(9) })
    hh.log({ model: 'gpt-4o' })
    hh.log({ response: 'plain text' })
    hh.log({ response: { score: 3 }, template_inputs: 'not an object' })
    hh.log({ usage: { input_tokens: 7, output_tokens: 3, cache_read_input_tokens: 2, cache_creation_input_tokens: 4 } })
    await hh.flush()
    const strip = ({ event_id: _id, session_id: _session, ...rest }: ModelEvent) => rest
    expect(honeyhive.events.map(strip)).toEqual([
      { event_type: 'model', config: { model: 'gpt-4o' }, inputs: {} },
      { event_type: 'model', inputs: {}, outputs: { text: 'plain text' } },
      { event_type: 'model', inputs: { template_inputs: 'not an object' }, outputs: { value: { score: 3 } } },
      {
        event_type: 'model',
        inputs: {},
        metadata: {
          input_tokens: 7,
          output_tokens: 3,
          cache_read_input_tokens: 2,
          cache_creation_input_tokens: 4,
          cache_write_input_tokens: 4,
        },
      },
    ])
  })

  test('no field is lost to a collision: chat_history, provider and cost each keep both values, the colliding one under its seed name', async () => {
    const { honeyhive, hh, errors } = await v1Client({ sessionId: uuid(9) })
    const messages = [{ role: 'user', content: 'hi' }]
    const history = [{ role: 'user', content: 'an earlier turn, as a template variable' }]
    // OpenRouter's request: `provider` is its routing preferences object; its usage reports `cost`.
    const routing = { order: ['anthropic', 'openai'], allow_fallbacks: false }
    hh.log({
      model: 'gpt-4o',
      provider: 'openrouter',
      hyperparameters: { temperature: 0.3, provider: routing },
      messages,
      template_inputs: { chat_history: history, tone: 'brief' },
    })
    hh.log({ model: 'gpt-4o', usage: { prompt_tokens: 5, cost: 0.0021 } })
    hh.log({ model: 'gpt-4o', usage: { prompt_tokens: 5, cost: 0.0021 }, cost: 0.003 })
    // A hyperparameter the mapped fields leave free keeps its conventional key, also when the seed's field is absent.
    hh.log({ model: 'gpt-4o', hyperparameters: { model: 'gpt-4o', response_format: { type: 'json_object' } } })
    await hh.flush()
    expect(errors).toEqual([])
    const [routed, reported, both, free] = honeyhive.events
    expect(routed.config).toEqual({
      model: 'gpt-4o',
      provider: 'openrouter',
      temperature: 0.3,
      hyperparameters: { provider: routing },
    })
    expect(routed.inputs).toEqual({ chat_history: messages, tone: 'brief', template_inputs: { chat_history: history } })
    expect(reported.metadata).toEqual({ prompt_tokens: 5, cost: 0.0021 })
    expect(both.metadata).toEqual({ prompt_tokens: 5, cost: 0.003, usage: { cost: 0.0021 } })
    expect(free.config).toEqual({ model: 'gpt-4o', response_format: { type: 'json_object' } })
  })

  test('createModelEventBatch on v1 sends the mapped events and the deprecated session aliases by their current names', async () => {
    const { honeyhive, hh } = await v1Client()
    const session = { session_name: 'chat' }
    const response = await hh.createModelEventBatch({ model_events: [logged], is_single_session: true, session })
    expect(response.event_ids).toEqual([uuid(1)])
    expect(posts(honeyhive)[0].body).toEqual({ events: [onV1], single_session: true, session_properties: session })
    expect(honeyhive.events).toEqual([{ ...onV1, session_id: response.session_id }])
  })

  test('route is checked: only the two routes, and v1 only with an apiKey (through a relay, the relay takes the route)', () => {
    const refused = (options: ClientOptions) => {
      try {
        createClient(options)
      } catch (error) {
        return error as ConfigError
      }
    }
    expect(refused({ route: '/v2/events' as never })).toMatchObject({ name: 'ConfigError', option: 'route' })
    expect(refused({ route: v1 })?.message).toContain('needs an apiKey')
    expect(refused({ route: v1, apiKey: key, dangerouslyAllowBrowser: true })).toBeUndefined()
  })

  test('HoneyHive answers a rejected key with 404: the error says to check the key and the route; a v1 400 says what HoneyHive said', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive({ apiKey: key })
    const errors: HoneyHiveError[] = []
    const wrong = createClient({
      baseUrl,
      apiKey: 'hh-wrong-key',
      dangerouslyAllowBrowser: true,
      route: v1,
      onError: (error) => errors.push(error),
    })
    wrong.log({ model: 'gpt-4o' })
    await wrong.flush()
    expect(errors[0]).toMatchObject({ name: 'HttpError', status: 404 })
    expect(errors[0].message).toContain('check the API key')
    expect(errors[0].message).toContain('`route`')
    honeyhive.fail({ status: 400, body: 'events.0.inputs: must be a plain object' })
    const hh = createClient({
      baseUrl,
      apiKey: key,
      dangerouslyAllowBrowser: true,
      route: v1,
      onError: (error) => errors.push(error),
    })
    hh.log({ model: 'gpt-4o' })
    await hh.flush()
    expect(errors[1].message).toBe('HoneyHive answered 400: events.0.inputs: must be a plain object')
  })
})

describe('the fake HoneyHive is as strict as HoneyHive on v1', () => {
  const send = async (body: unknown) => {
    const honeyhive = createFakeHoneyHive()
    const response = await honeyhive(
      new Request(`http://127.0.0.1:9${v1}`, { method: 'POST', body: JSON.stringify(body) }),
    )
    return { status: response.status, message: ((await response.json()) as { message?: string }).message, honeyhive }
  }
  const event = { event_type: 'model', inputs: {} }

  test.each([
    ['an unknown top-level key', { events: [event], extra: 1 }],
    ['the deprecated is_single_session', { events: [event], is_single_session: true }],
    ['the deprecated session', { events: [event], session: { session_name: 'x' } }],
    ['model_events instead of events', { model_events: [event] }],
    ['a missing event_type', { events: [{ inputs: {} }] }],
    ['an event_type it does not know', { events: [{ event_type: 'llm', inputs: {} }] }],
    ['a missing inputs', { events: [{ event_type: 'model' }] }],
    ['project', { events: [{ ...event, project: 'chat' }] }],
    ['a seed-only field (model)', { events: [{ ...event, model: 'gpt-4o' }] }],
    ['outputs that are not an object', { events: [{ ...event, outputs: 'hello' }] }],
  ])('refuses %s with a 400 and stores nothing', async (_name, body) => {
    const { status, honeyhive } = await send(body)
    expect(status).toBe(400)
    expect(honeyhive.events).toEqual([])
  })

  test('takes a minimal event and every event type v1 knows', async () => {
    const types = ['model', 'tool', 'chain', 'session']
    const { status, honeyhive } = await send({ events: types.map((event_type) => ({ event_type, inputs: {} })) })
    expect(status).toBe(200)
    expect(honeyhive.events.map((stored) => stored.event_type)).toEqual(types)
  })

  test('a single_session request makes a new session, stamps it on every event of the request and answers it', async () => {
    const honeyhive = createFakeHoneyHive()
    const response = await honeyhive(
      new Request(`http://127.0.0.1:9${v1}`, {
        method: 'POST',
        body: JSON.stringify({
          events: [{ ...event, session_id: uuid(5) }, event],
          single_session: true,
          session_properties: { session_name: 'chat' },
        }),
      }),
    )
    const { session_id } = (await response.json()) as { session_id: string }
    expect(session_id).not.toBe(uuid(5))
    expect(honeyhive.events.map((stored) => stored.session_id)).toEqual([session_id, session_id])
    expect(honeyhive.sessions).toEqual([{ session_id, properties: { session_name: 'chat' }, events: honeyhive.events }])
  })
})

describe.each(routes)('one session per conversation, on %s', (route) => {
  test.each([
    ['no option', {}],
    ['sessionId', { sessionId: uuid(7) }],
    [
      'singleSession and sessionProperties',
      { singleSession: true, sessionProperties: { session_name: 'support chat', metadata: { plan: 'pro' } } },
    ],
    [
      'sessionId, singleSession and sessionProperties',
      { sessionId: uuid(8), singleSession: true, sessionProperties: { session_name: 'support chat' } },
    ],
  ])('three batches of one client with %s land in one session', async (_name, options: ClientOptions) => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const hh = createClient({ ...onRoute(route), baseUrl, flushIntervalMs: 60_000, ...options })
    const ids: string[] = []
    for (let batch = 0; batch < 3; batch++) {
      for (let i = 0; i < 3; i++)
        ids.push(hh.log({ model: 'gpt-4o', messages: [{ role: 'user', content: `turn ${batch}.${i}` }] }))
      // The third batch is queued before the first answer: queued events join the answered session too.
      if (batch < 2) await hh.flush()
    }
    await hh.flush()
    expect(storedIds(honeyhive.events)).toEqual(ids)
    expect(honeyhive.sessions.map((session) => session.session_id)).toEqual([hh.sessionId])
    expect(honeyhive.sessions[0].events).toHaveLength(9)
    if (options.sessionId && !options.singleSession) expect(hh.sessionId).toBe(options.sessionId)
    // The session's flag and properties go with the first batch only.
    const bodies = posts(honeyhive).map((request) => request.body as Record<string, unknown>)
    const sessionFields = (body: Record<string, unknown>) => [body.single_session, body.session_properties]
    expect(bodies.map(sessionFields)).toEqual([
      [options.singleSession, options.sessionProperties],
      [undefined, undefined],
      [undefined, undefined],
    ])
    if (options.sessionProperties) expect(honeyhive.sessions[0].properties).toEqual(options.sessionProperties)
  })

  test('a 413 on the first batch with singleSession still lands the conversation in one session', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    honeyhive.fail({ status: 413 })
    const hh = createClient({ ...onRoute(route), baseUrl, singleSession: true, flushAt: 4, flushIntervalMs: 60_000 })
    for (let i = 0; i < 4; i++) hh.log({ model: 'm', event_name: `turn ${i}` })
    await hh.flush()
    for (let i = 4; i < 6; i++) hh.log({ model: 'm', event_name: `turn ${i}` })
    await hh.flush()
    expect(honeyhive.events).toHaveLength(6)
    expect(honeyhive.sessions.map((session) => [session.session_id, session.events.length])).toEqual([
      [hh.sessionId, 6],
    ])
  })

  test('an event that carries its own session_id first does not pull the client’s other events into that session', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const other = crypto.randomUUID()
    const hh = createClient({ ...onRoute(route), baseUrl, flushAt: 2, flushIntervalMs: 60_000 })
    const mine = hh.sessionId
    hh.log({ model: 'm', session_id: other })
    hh.log({ model: 'm' })
    hh.log({ model: 'm' })
    await hh.flush()
    hh.log({ model: 'm' })
    await hh.flush()
    expect(hh.sessionId).toBe(mine)
    expect(
      Object.fromEntries(honeyhive.sessions.map((session) => [session.session_id, session.events.length])),
    ).toEqual({ [other]: 1, [mine]: 3 })
  })

  test('sampleRate keeps or drops a conversation whole, also when the client joins the session its first batch made', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    for (let client = 0; client < 20; client++) {
      const hh = createClient({
        ...onRoute(route),
        baseUrl,
        sampleRate: 0.5,
        singleSession: true,
        flushIntervalMs: 60_000,
      })
      hh.log({ model: 'm', event_name: 'turn 1' })
      await hh.flush()
      hh.log({ model: 'm', event_name: 'turn 2' })
      hh.log({ model: 'm', event_name: 'turn 3' })
      await hh.shutdown()
    }
    const sizes = honeyhive.sessions.map((session) => session.events.length)
    expect(sizes.length).toBeGreaterThan(0)
    expect(sizes.length).toBeLessThan(20)
    expect(sizes.filter((size) => size !== 3)).toEqual([])
  })

  test('a client without sessionId has one session id from the start, the same for every event', async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const hh = createClient({ ...onRoute(route), baseUrl })
    const first = hh.sessionId
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    hh.log({ model: 'a' })
    hh.log({ model: 'b', session_id: uuid(6) })
    await hh.flush()
    expect(honeyhive.events.map((event) => event.session_id)).toEqual([first, uuid(6)])
    expect(createClient({ ...onRoute(route), baseUrl }).sessionId).not.toBe(first)
  })
})
