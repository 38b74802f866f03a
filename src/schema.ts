import * as v from 'valibot'

// The contract of POST /events/model/batch, from ../shared/seed/create-a-batch-of-model-events.txt.
// Every field is optional (newer HoneyHive specs require none); the types are checked so that a value the
// server would silently replace (a string timestamp, a malformed id) is refused here, where the caller can
// still see it.

const text = v.optional(v.string())
const time = v.optional(v.custom<number>(Number.isFinite, 'must be a finite number (ms)'))
/** Whether `input` is a UUID string (the server silently replaces an id that is not). */
export const isUuid = (input: unknown): input is string =>
  typeof input === 'string' && /^[\da-f]{8}(?:-[\da-f]{4}){3}-[\da-f]{12}$/i.test(input)
const uuid = v.custom<string>(isUuid, 'must be a UUID string')
const id = v.optional(uuid)
/** A JSON object: anything but `null` and arrays. */
const object = v.optional(
  v.custom<Record<string, unknown>>(
    (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
    'must be a plain object',
  ),
)
const anything = v.optional(v.unknown())
/** The kinds of event HoneyHive's tree is made of (v1 route): a run, a model call, a tool execution. */
export type EventType = 'model' | 'chain' | 'tool'
const eventTypes: EventType[] = ['model', 'chain', 'tool']

/** One model event, as the seed lists its fields. Unknown keys are stripped. */
export const modelEventSchema = v.object({
  project: text,
  project_id: text,
  source: text,
  event_name: text,
  // The seed's route takes model events; chain and tool events travel in its shape only to a relay whose
  // upstream is HoneyHive's v1 route (prepare.ts refuses them on the seed route itself).
  event_type: v.optional(
    v.custom<EventType>((input) => eventTypes.includes(input as EventType), 'must be "model", "chain" or "tool"'),
  ),
  event_id: id,
  session_id: id,
  parent_id: id,
  children_ids: v.optional(v.array(uuid)),
  config: object,
  inputs: object,
  outputs: object,
  error: text,
  start_time: time,
  end_time: time,
  duration: time,
  metadata: object,
  feedback: object,
  metrics: object,
  user_properties: object,
  model_name: text,
  model_version: text,
  model: text,
  messages: v.optional(v.array(v.unknown())),
  response: anything,
  provider: text,
  usage: object,
  cost: anything,
  hyperparameters: object,
  template: anything,
  template_inputs: anything,
  tools: anything,
  tool_choice: anything,
  response_format: anything,
})

/** The schema's entries by field name, with no prototype (`toString` is no field). */
const fields: Record<string, v.GenericSchema> = Object.assign(Object.create(null), modelEventSchema.entries)

/**
 * The fields of `event` that a model event has, each checked by its entry in `modelEventSchema`, in a new
 * object; undefined where one is refused (`check` then says which). It walks the event's own enumerable
 * keys, a dozen, where the schema's object walks its 36 entries, and leaves values as they are: less than
 * half the CPU of `check` for a typical chat event (issue 20). Unknown keys are left out, as the schema does.
 */
export function knownFields(event: object): ModelEvent | undefined {
  const known: Record<string, unknown> = {}
  for (const key of Object.keys(event)) {
    const entry = fields[key]
    if (!entry) continue
    const value = (event as Record<string, unknown>)[key]
    if (!v.is(entry, value)) return undefined
    known[key] = value
  }
  return known
}

/** Session properties sent with a batch (`session_properties`, or its deprecated alias `session`). */
export const sessionPropertiesSchema = v.object({
  session_name: text,
  start_time: time,
  user_properties: object,
  metadata: object,
})

/** The body of `POST /events/model/batch`. */
export const batchRequestSchema = v.object({
  model_events: v.array(modelEventSchema),
  single_session: v.optional(v.boolean()),
  /** @deprecated Legacy name of `single_session`. */
  is_single_session: v.optional(v.boolean()),
  /** @deprecated Alias of `session_properties`. */
  session: v.optional(sessionPropertiesSchema),
  session_properties: v.optional(sessionPropertiesSchema),
})

/** The 200 answer of `POST /events/model/batch`. */
export const batchResponseSchema = v.object({
  event_ids: v.array(v.string()),
  success: v.boolean(),
  session_id: v.optional(v.string()),
})

/** A model event as the API takes it. */
export type ModelEvent = v.InferOutput<typeof modelEventSchema>
/** Session properties as the API takes them. */
export type SessionProperties = v.InferOutput<typeof sessionPropertiesSchema>
/** The body of one batch request. */
export type BatchRequest = v.InferOutput<typeof batchRequestSchema>
/** What the API answers to a batch request. */
export type BatchResponse = v.InferOutput<typeof batchResponseSchema>

/** A field-level problem found by a schema: `path` is dotted (`model_events.0.start_time`). */
export interface Issue {
  path: string
  message: string
}

/** Checks `input` against `schema`; returns the parsed output or the issues, never throws. */
export function check<T extends v.GenericSchema>(
  schema: T,
  input: unknown,
): { output: v.InferOutput<T>; issues?: undefined } | { output?: undefined; issues: Issue[] } {
  const result = v.safeParse(schema, input)
  if (result.success) return { output: result.output }
  return {
    issues: result.issues.map((issue) => ({
      path: issue.path?.map((item) => item.key).join('.') ?? '',
      message: issue.message,
    })),
  }
}
