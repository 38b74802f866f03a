import { describe, expect, test } from 'vitest'
import { batchRequestSchema, batchResponseSchema, modelEventSchema } from '../src/index.js'
import { check, knownFields } from '../src/schema.js'

const uuid = '7f22137a-6911-4ed3-bc36-110f1dde6b66'

// One good and one bad value per seed field.
const fields: Record<string, [good: unknown, bad: unknown]> = {
  project: ['chat', 1],
  project_id: ['p1', {}],
  source: ['production', true],
  event_name: ['openai.chat', 3],
  event_type: ['chain', 'session'],
  event_id: [uuid, 'not-a-uuid'],
  session_id: [uuid, 42],
  parent_id: [uuid, 'nope'],
  children_ids: [[uuid], [1]],
  config: [{ temperature: 0 }, 'x'],
  inputs: [{ question: 'hi' }, []],
  outputs: [{ answer: 'hello' }, null],
  error: ['boom', { message: 'x' }],
  start_time: [1_700_000_000_000, '2024-01-01T00:00:00Z'],
  end_time: [1_700_000_000_500, Number.NaN],
  duration: [500.25, Infinity],
  metadata: [{ a: 1 }, 'meta'],
  feedback: [{ rating: 5 }, 5],
  metrics: [{ latency: 1 }, [1]],
  user_properties: [{ plan: 'pro' }, 'pro'],
  model_name: ['gpt-4o', 4],
  model_version: ['2024-08-06', 1],
  model: ['gpt-4o', null],
  messages: [[{ role: 'user', content: 'hi' }], 'hi'],
  provider: ['openai', {}],
  usage: [{ total_tokens: 3 }, 3],
  hyperparameters: [{ top_p: 1 }, 'x'],
}
// Fields the seed types as <unknown>: anything JSON can carry is accepted.
const unknownFields = ['response', 'cost', 'template', 'template_inputs', 'tools', 'tool_choice', 'response_format']

describe('model event schema', () => {
  test('covers every field of the seed contract', () => {
    expect(Object.keys(modelEventSchema.entries).sort()).toEqual([...Object.keys(fields), ...unknownFields].sort())
  })

  test.each(Object.entries(fields))('accepts %s with its type', (field, [good]) => {
    expect(check(modelEventSchema, { [field]: good }).output).toEqual({ [field]: good })
  })

  test.each(Object.entries(fields))('refuses %s with another type and names the field', (field, [, bad]) => {
    const result = check(modelEventSchema, { [field]: bad })
    expect(result.issues).toHaveLength(1)
    expect(result.issues?.[0].path.split('.')[0]).toBe(field)
  })

  test.each(unknownFields)('accepts any JSON value in %s', (field) => {
    for (const value of ['text', 1, null, [1], { a: 1 }]) {
      expect(check(modelEventSchema, { [field]: value }).output).toEqual({ [field]: value })
    }
  })

  test('strips keys the contract does not have', () => {
    expect(check(modelEventSchema, { model: 'm', modle: 'typo' }).output).toEqual({ model: 'm' })
  })
})

describe("knownFields, the schema read by the event's keys (log()'s fast path, issue 20)", () => {
  const all = Object.fromEntries(Object.entries(fields).map(([field, [good]]) => [field, good]))

  test.each(Object.entries(fields))('agrees with the schema on %s, good and bad', (field, [good, bad]) => {
    expect(knownFields({ [field]: good })).toEqual(check(modelEventSchema, { [field]: good }).output)
    expect(check(modelEventSchema, { ...all, [field]: bad }).output).toBeUndefined()
    expect(knownFields({ ...all, [field]: bad })).toBeUndefined()
  })

  test('gives what the schema gives for a full event, unknown keys left out, values untouched', () => {
    const event: Record<string, unknown> = {
      ...all,
      ...Object.fromEntries(unknownFields.map((field) => [field, { any: field }])),
      modle: 'typo',
    }
    const known = knownFields(event)
    expect(known).toEqual(check(modelEventSchema, event).output)
    expect(known).not.toHaveProperty('modle')
    expect(known?.messages).toBe(event.messages)
  })

  test('reads only own enumerable keys, as a copy of the event does; a key named after Object.prototype is no field', () => {
    const event = Object.create({ model: 'inherited' }) as Record<string, unknown>
    Object.defineProperty(event, 'metadata', { value: new Date(0), enumerable: false })
    Object.assign(event, { event_name: 'own', toString: 'x', constructor: 1, ['__proto__']: 2 })
    expect(knownFields(event)).toEqual({ event_name: 'own' })
    expect(knownFields(JSON.parse('{"__proto__": {"model": "x"}, "model": "m"}'))).toEqual({ model: 'm' })
  })
})

describe('batch request schema', () => {
  test('requires model_events', () => {
    expect(check(batchRequestSchema, {}).issues?.[0].path).toBe('model_events')
  })

  test('accepts session fields and their deprecated aliases', () => {
    const body = {
      model_events: [{}],
      single_session: true,
      is_single_session: true,
      session: { session_name: 's' },
      session_properties: { session_name: 's', start_time: 1, user_properties: {}, metadata: {} },
    }
    expect(check(batchRequestSchema, body).output).toEqual(body)
  })

  test('names the path of a bad field inside an event', () => {
    const result = check(batchRequestSchema, { model_events: [{}, { duration: '5' }] })
    expect(result.issues?.map((issue) => issue.path)).toEqual(['model_events.1.duration'])
  })

  test('refuses a bad session_properties field', () => {
    const result = check(batchRequestSchema, { model_events: [], session_properties: { start_time: 'now' } })
    expect(result.issues?.map((issue) => issue.path)).toEqual(['session_properties.start_time'])
  })
})

describe('batch response schema', () => {
  test('accepts the documented answer, with or without session_id', () => {
    expect(check(batchResponseSchema, { event_ids: [uuid], success: true }).output).toBeTruthy()
    expect(check(batchResponseSchema, { event_ids: [], success: true, session_id: uuid }).output).toBeTruthy()
  })

  test('refuses an answer without event_ids', () => {
    expect(check(batchResponseSchema, { success: true }).issues?.[0].path).toBe('event_ids')
  })
})
