import * as v from 'valibot'
import { modelEventSchema, sessionPropertiesSchema } from './schema.js'

// The body of HoneyHive's `POST /v1/events/batch` (Data Plane OpenAPI 1.9.0, field notes §10), as strict as
// HoneyHive: unknown keys refused at every level. Used by the fake HoneyHive; the client's own v1 events
// come from routes.ts's mapping, which sends only these keys. The fields v1 shares with the seed's events
// keep the seed's checks (one definition of each field's type, in schema.ts).

const { project_id, source, event_name, event_id, session_id, parent_id, children_ids, config, outputs, error, start_time, end_time, duration, metadata, feedback, metrics, user_properties } =
  modelEventSchema.entries

/** One v1 event (`PostEventRequest`): `event_type` and `inputs` required, nothing but these 19 keys. */
export const v1EventSchema = v.strictObject({
  project_id,
  source,
  event_name,
  event_type: v.picklist(['model', 'tool', 'chain', 'session']),
  event_id,
  session_id,
  parent_id,
  children_ids,
  config,
  inputs: v.custom<Record<string, unknown>>((input) => typeof input === 'object' && input !== null && !Array.isArray(input), 'must be a plain object'),
  outputs,
  error,
  start_time,
  end_time,
  duration,
  metadata,
  feedback,
  metrics,
  user_properties,
})

/** The body of `POST /v1/events/batch`. */
export const v1BatchRequestSchema = v.strictObject({
  events: v.array(v1EventSchema),
  single_session: v.optional(v.boolean()),
  session_properties: v.optional(v.strictObject(sessionPropertiesSchema.entries)),
})

/** A v1 event as HoneyHive takes it. */
export type V1Event = v.InferOutput<typeof v1EventSchema>
