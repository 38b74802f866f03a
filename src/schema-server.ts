import * as v from 'valibot'

// What HoneyHive's server accepts, from its Data Plane OpenAPI 1.9.0 (honeyhiveai/honeyhive-openapi
// `data_plane_openapi.yaml` at b3d252c8, field notes §10 and §12), for the fake HoneyHive and the inspector:
// users' tests against the fake must pass whatever HoneyHive takes. The client's own schemas (schema.ts) stay
// stricter, since what it sends must never be silently replaced (a string time, a non-UUID id).
//
// - `PostModelEventBatchRequest` (seed route) and its `ModelEvent` declare no `additionalProperties: false`:
//   unknown keys are taken, on the body and on each event; `event_type` may be any of the four.
// - `PostEventBatchRequest` and `PostEventRequest` (v1) refuse unknown keys; `event_type` and `inputs` are
//   required.
// - Ids are plain strings everywhere (HoneyHive replaces a session id that is not a UUID, it does not refuse
//   it); `error` is a string or null; times are numbers; `SessionProperties` takes any other key (`source`).
// - `UpdateEventRequest` takes any key (the unknown ones are ignored); `outputs` is an object or null.

const text = v.optional(v.string())
const number = v.optional(v.number())
const flag = v.optional(v.boolean())
const plainObject = v.custom<Record<string, unknown>>(
  (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
  'must be an object',
)
const object = v.optional(plainObject)
const anything = v.optional(v.unknown())
const strings = v.optional(v.array(v.string()))
/** The four kinds of event HoneyHive stores. */
export const eventTypes = ['model', 'tool', 'chain', 'session'] as const

/** The fields every event schema of the spec shares. */
const eventEntries = {
  project_id: text,
  source: text,
  event_name: text,
  event_type: v.optional(v.picklist(eventTypes)),
  event_id: text,
  session_id: text,
  parent_id: text,
  children_ids: strings,
  config: object,
  inputs: object,
  outputs: object,
  error: v.optional(v.nullable(v.string())),
  start_time: number,
  end_time: number,
  duration: number,
  metadata: object,
  feedback: object,
  metrics: object,
  user_properties: object,
}

/** `SessionProperties`: the four known keys checked, any other (`source`...) kept. */
export const serverSessionPropertiesSchema = v.looseObject({
  session_name: text,
  start_time: number,
  user_properties: object,
  metadata: object,
})

/** `ModelEvent` on `POST /events/model/batch`: the seed's fields and legacy aliases, any other key kept. */
export const serverModelEventSchema = v.looseObject({
  ...eventEntries,
  project: text,
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

/** `PostModelEventBatchRequest`: `model_events` required; other keys taken. */
export const serverSeedBatchSchema = v.looseObject({
  model_events: v.array(serverModelEventSchema),
  single_session: flag,
  is_single_session: flag,
  session: v.optional(serverSessionPropertiesSchema),
  session_properties: v.optional(serverSessionPropertiesSchema),
})

/** `PostEventRequest` on `POST /v1/events/batch`: `event_type` and `inputs` required, nothing but the 19 keys. */
export const serverV1EventSchema = v.strictObject({
  ...eventEntries,
  event_type: v.picklist(eventTypes),
  inputs: plainObject,
})

/** `PostEventBatchRequest`: `events` required, nothing but `single_session` and `session_properties` besides. */
export const serverV1BatchSchema = v.strictObject({
  events: v.array(serverV1EventSchema),
  single_session: flag,
  session_properties: v.optional(serverSessionPropertiesSchema),
})

/**
 * `UpdateEventRequest` (`PUT /v1/events/{event_id}`): `metadata`, `feedback`, `metrics`, `config`,
 * `user_properties` merged into the event, `outputs` replaced (null keeps them), `duration` and `end_time`
 * set, `children_ids` set when not empty. Other keys are taken and ignored.
 */
export const serverUpdateSchema = v.looseObject({
  metadata: object,
  feedback: object,
  metrics: object,
  outputs: v.optional(v.nullable(plainObject)),
  config: object,
  user_properties: object,
  duration: number,
  end_time: number,
  children_ids: strings,
})

/** `LegacyUpdateEventRequest` (the seed-era `PUT /events`): the same, with the event's id in the body. */
export const serverLegacyUpdateSchema = v.looseObject({ ...serverUpdateSchema.entries, event_id: v.string() })

/** An event as the fake stores it: any of the spec's fields, and any other key the seed route took. */
export type StoredEvent = v.InferOutput<typeof serverModelEventSchema>
/** Session properties as the fake keeps them (unknown keys included). */
export type StoredSessionProperties = v.InferOutput<typeof serverSessionPropertiesSchema>
/** An event update's body. */
export type EventUpdateBody = v.InferOutput<typeof serverUpdateSchema>
