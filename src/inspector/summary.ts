import { v1Route, type Route } from '../routes.js'
import type { ModelEvent } from '../schema.js'
import { feedbackOf, previewOf } from './preview.js'

/** How a model call ended: `metadata.status` when the event says so (the provider integrations do), else `error` decides. */
export type EventStatus = 'success' | 'error' | 'cancelled'

/** One request that carried an event, and what became of it. */
export interface Attempt {
  /** The request's number in the request log. */
  request: number
  /** The status answered; 0 when the connection was dropped (down). */
  status: number
  /** Whether that request stored the event. */
  stored: boolean
  /** Whether that request was a beacon (a `text/plain` POST). */
  beacon: boolean
  /** The fault played on that request, if one was. */
  fault?: string
}

/** One event as a timeline shows it. Times are Unix ms. */
export interface EventSummary {
  event_id: string
  /** The session it is stored in ('' for an event without one). */
  session_id: string
  /** The route it arrived on. */
  route: Route
  /** `model` (the default), `tool`, `chain` or `session`. */
  event_type: string
  /** `project` (the seed's field) or `project_id`, as the event names it. */
  project?: string
  /** Its parent in the session's tree; absent (or the session's id) for an event directly under the session. */
  parent_id?: string
  event_name?: string
  /** One line to show beside its name: the last user message (a model call, a chain) or the arguments (a tool). */
  preview?: string
  /** `feedback` as the page shows it: the thumbs of `feedback.rating`, the rating as given, the comment. */
  feedback?: { thumb?: 'up' | 'down'; rating?: string; comment?: string }
  model?: string
  start?: number
  end?: number
  /** `metadata.time_to_first_token_ms`. */
  ttft?: number
  /** `metadata.finish_reason` (`stop`, `length`, `tool_calls`...), as the provider integrations set it. */
  finish_reason?: string
  status: EventStatus
  /** The event's `error`, cut to 300 characters. */
  error?: string
  /** Total tokens reported (`usage` or v1 `metadata` counts); absent when none were. */
  tokens?: number
  /** When it first arrived. */
  received: number
  /** Times it was stored: 0 never (every attempt failed), 2 or more a duplicate. */
  stored: number
  /** Stored by a beacon. */
  beacon: boolean
  /** Event updates applied to it (`PUT /v1/events/{id}`, `PUT /events`): feedback, metadata, outputs... */
  updates: number
  /** Each request that carried it, in order (the first 50): more than one is a retry. */
  attempts: Attempt[]
}

/** A session's roll-up, as the sessions list shows it. */
export interface SessionSummary {
  session_id: string
  /** When its first and last events arrived. */
  first: number
  last: number
  events: number
  errors: number
  cancelled: number
  /** Sum of the tokens its events reported; absent when none did. */
  tokens?: number
  /** The project its events name, if any does. */
  project?: string
  /** The first thing the user said in it: the preview of its earliest event that has one. */
  first_message?: string
  /** Its first `start_time` and last end, and the span between them in ms (the session's total duration). */
  start?: number
  end?: number
  durationMs?: number
  /** Events no request stored (every attempt so far failed or was refused). */
  unstored: number
  /** Events that needed more than one request, arrived by beacon, were stored twice or more. */
  retried: number
  beacons: number
  duplicates: number
}

type Fields = Record<string, unknown>
const number = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined
const statuses = new Set(['success', 'error', 'cancelled'])

const text = (value: unknown, max = 200): string | undefined =>
  typeof value === 'string' ? value.slice(0, max) : undefined
const fields = (value: unknown): Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {}

/**
 * Reads an event's timeline fields, on either route: a seed event's fields are read where the one mapping to
 * v1 (`toV1Event`) puts them (the model in `config.model`, token counts from `usage` under `metadata`), without
 * mapping the whole event, so that a body of many events is read in linear, small time.
 */
export function readEvent(
  event: ModelEvent,
  route: Route,
): Pick<
  EventSummary,
  | 'event_type'
  | 'project'
  | 'parent_id'
  | 'event_name'
  | 'preview'
  | 'feedback'
  | 'model'
  | 'start'
  | 'end'
  | 'ttft'
  | 'finish_reason'
  | 'status'
  | 'error'
  | 'tokens'
> {
  const view = event as Fields
  const seed = route !== v1Route
  const metadata = fields(view.metadata)
  const usage = seed ? fields(view.usage) : {}
  // The user's metadata wins over the counts the mapping adds from usage.
  const count = (key: string) => number(metadata[key] !== undefined ? metadata[key] : usage[key])
  const config = fields(view.config)
  const start = number(view.start_time)
  const duration = number(view.duration)
  const error =
    view.error === undefined || view.error === null
      ? undefined
      : String(typeof view.error === 'string' ? view.error.slice(0, 300) : JSON.stringify(view.error)).slice(0, 300)
  const sum = (a: string, b: string) =>
    count(a) === undefined && count(b) === undefined ? undefined : (count(a) ?? 0) + (count(b) ?? 0)
  const said = metadata.status
  const type = text(view.event_type, 20) ?? 'model'
  return {
    event_type: type,
    project: text(view.project ?? view.project_id),
    parent_id: text(view.parent_id),
    event_name: text(view.event_name),
    preview: previewOf(view, type),
    feedback: feedbackOf(view.feedback),
    model: text(config.model !== undefined ? config.model : seed ? (view.model_name ?? view.model) : undefined),
    start,
    // start + duration where both are given: the span's own monotonic measure, finer than end_time's ms.
    end: start !== undefined && duration !== undefined ? start + duration : number(view.end_time),
    ttft: count('time_to_first_token_ms'),
    finish_reason: text(metadata.finish_reason),
    status: typeof said === 'string' && statuses.has(said) ? (said as EventStatus) : error ? 'error' : 'success',
    error,
    tokens: count('total_tokens') ?? sum('prompt_tokens', 'completion_tokens') ?? sum('input_tokens', 'output_tokens'),
  }
}

/** Rolls a session's events up. */
export function summarizeSession(session_id: string, events: EventSummary[]): SessionSummary {
  const summary: SessionSummary = {
    session_id,
    first: Infinity,
    last: 0,
    events: events.length,
    errors: 0,
    cancelled: 0,
    unstored: 0,
    retried: 0,
    beacons: 0,
    duplicates: 0,
  }
  let opening = Infinity
  for (const event of events) {
    summary.project ??= event.project
    const at = event.start ?? event.received
    if (event.preview !== undefined && event.event_type !== 'tool' && at < opening) {
      opening = at
      summary.first_message = event.preview
    }
    summary.first = Math.min(summary.first, event.received)
    summary.last = Math.max(summary.last, event.received)
    if (event.status === 'error') summary.errors++
    if (event.status === 'cancelled') summary.cancelled++
    if (event.tokens !== undefined) summary.tokens = (summary.tokens ?? 0) + event.tokens
    if (event.start !== undefined) summary.start = Math.min(summary.start ?? Infinity, event.start)
    const end = event.end ?? event.start
    if (end !== undefined) summary.end = Math.max(summary.end ?? -Infinity, end)
    if (event.stored === 0) summary.unstored++
    if (event.attempts.length > 1) summary.retried++
    if (event.beacon) summary.beacons++
    if (event.stored > 1) summary.duplicates++
  }
  if (summary.start !== undefined && summary.end !== undefined) summary.durationMs = summary.end - summary.start
  return summary
}
