import * as v from 'valibot'
import { id, object, sessionPropertiesSchema, text, time, uuid } from './schema.js'

// The body of HoneyHive's `POST /v1/events/batch` (Data Plane OpenAPI 1.9.0, field notes §10), as strict as
// HoneyHive: unknown keys refused at every level. Used by the fake HoneyHive; the client's own v1 events
// come from routes.ts's mapping, which sends only these keys.

/** One v1 event (`PostEventRequest`): `event_type` and `inputs` required, nothing but these 19 keys. */
export const v1EventSchema = v.strictObject({
  project_id: text,
  source: text,
  event_name: text,
  event_type: v.picklist(['model', 'tool', 'chain', 'session']),
  event_id: id,
  session_id: id,
  parent_id: id,
  children_ids: v.optional(v.array(uuid)),
  config: object,
  inputs: v.custom<Record<string, unknown>>((input) => typeof input === 'object' && input !== null && !Array.isArray(input), 'must be a plain object'),
  outputs: object,
  error: text,
  start_time: time,
  end_time: time,
  duration: time,
  metadata: object,
  feedback: object,
  metrics: object,
  user_properties: object,
})

/** The body of `POST /v1/events/batch`. */
export const v1BatchRequestSchema = v.strictObject({
  events: v.array(v1EventSchema),
  single_session: v.optional(v.boolean()),
  session_properties: v.optional(v.strictObject(sessionPropertiesSchema.entries)),
})

/** A v1 event as HoneyHive takes it. */
export type V1Event = v.InferOutput<typeof v1EventSchema>
