import * as v from 'valibot'
import { v1Route } from './routes.js'
import { serverLegacyUpdateSchema, serverUpdateSchema, type EventUpdateBody } from './schema-server.js'

// HoneyHive's two event-update routes (Data Plane OpenAPI 1.9.0, field notes §12), for the fake HoneyHive and
// the inspector: `PUT /v1/events/{event_id}` (`UpdateEventRequest`) and the seed-era `PUT /events`
// (`LegacyUpdateEventRequest`, the id in the body).

/** The current update route's prefix: `PUT /v1/events/{event_id}`. */
export const v1UpdatePrefix = '/v1/events/'
/** The seed-era update route: `PUT /events` with `event_id` in the body. */
export const legacyUpdateRoute = '/events'

/** Whether `pathname` is one of the update routes (any method; the caller answers 405 to all but PUT). */
export const isUpdatePath = (pathname: string) =>
  pathname === legacyUpdateRoute ||
  (pathname.startsWith(v1UpdatePrefix) &&
    pathname !== v1Route &&
    pathname.length > v1UpdatePrefix.length &&
    !pathname.slice(v1UpdatePrefix.length).includes('/'))

/** One update as read from its request: the event it names and the fields to apply. */
export interface ReadUpdate {
  event_id: string
  update: EventUpdateBody
}

/** Reads an update request's event id and body, or says why HoneyHive's spec refuses it (a 400). */
export function readUpdate(pathname: string, body: unknown): ReadUpdate | string {
  const legacy = pathname === legacyUpdateRoute
  const result = v.safeParse(legacy ? serverLegacyUpdateSchema : serverUpdateSchema, body, { abortEarly: true })
  if (!result.success) {
    const [issue] = result.issues
    return `${issue.path?.map((item) => String(item.key)).join('.') || 'body'}: ${issue.message}`
  }
  if (legacy) return { event_id: (result.output as { event_id: string }).event_id, update: result.output }
  let event_id: string
  try {
    event_id = decodeURIComponent(pathname.slice(v1UpdatePrefix.length))
  } catch {
    return 'event_id: a malformed escape in the path'
  }
  return { event_id, update: result.output }
}

const merged = ['metadata', 'feedback', 'metrics', 'config', 'user_properties'] as const

/**
 * Applies an update to a stored event, as HoneyHive's spec says: `metadata`, `feedback`, `metrics`, `config`
 * and `user_properties` merged key by key into what the event has; `outputs` replaced (null keeps them);
 * `duration` and `end_time` set; `children_ids` set unless empty. Other keys are ignored.
 */
export function applyUpdate(event: Record<string, unknown>, update: EventUpdateBody): void {
  for (const key of merged) {
    const given = update[key]
    if (given) event[key] = { ...(event[key] as Record<string, unknown> | undefined), ...given }
  }
  if (update.outputs) event.outputs = update.outputs
  if (update.duration !== undefined) event.duration = update.duration
  if (update.end_time !== undefined) event.end_time = update.end_time
  if (update.children_ids && update.children_ids.length > 0) event.children_ids = update.children_ids
}
