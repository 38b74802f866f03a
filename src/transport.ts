import { toJson } from './encode.js'
import { InvalidResponseError, type HoneyHiveError, type HttpError } from './errors.js'
import { parse, request, type SendInit } from './request.js'
import type { FetchLike } from './options.js'
import { clientPolicy, retriedStatuses, ruleFor, type Policy } from './policy.js'

export { answerOf } from './policy.js'

export type { SendInit } from './request.js'
import { v1Route, type Frame, type Route } from './routes.js'
import { batchResponseSchema, check, type BatchResponse } from './schema.js'

// What HoneyHive's requests look like: one batch or one event update, sent with request.ts (one request
// and its retries, typed errors out). Which answers are retried is the failure policy's (policy.ts).

/** What a request needs to be sent. */
export interface TransportOptions {
  url: string
  apiKey?: string
  fetch?: FetchLike
  /** Time limit of one attempt, body included, at first (see `limit`). */
  timeoutMs: number
  maxTimeoutMs: number
  /**
   * The attempt limit in force, shared by every request that is given the same object: doubled after each
   * timeout up to `maxTimeoutMs` (a server slower than the limit stored what timed out: give it the time it
   * takes instead of copies). @default a fresh `{ ms: timeoutMs }` per request
   */
  limit?: { ms: number }
  /** Which answers are retried within the request. @default clientPolicy */
  policy?: Policy
  maxRetries: number
  maxRetryAfterMs: number
  /** Aborts the request in flight and any wait between attempts. */
  signal?: AbortSignal
  /** Called before each retry, with the attempt number (1 for the first retry) and what failed. */
  onRetry?: (attempt: number, error: HoneyHiveError) => void
}

/** An event as it travels: its id and its JSON text. */
export interface WireEvent {
  id: string
  json: string
  /** Attempts that may have reached the server (timeouts, 500, 502, 504), counted across calls. */
  sends?: number
}

/** The request body for these events in `frame` (see routes.ts). */
export function batchBody(events: WireEvent[], frame: Frame): string {
  return frame.open + events.map((event) => event.json).join(',') + frame.close
}

/** Statuses the client retries within a request (policy.ts); 413 is not among them (the queue splits instead). */
export const retryStatuses = retriedStatuses(clientPolicy)

/** One event update (feedback, metadata ...) as it travels: HoneyHive's update fields and the event's id. */
export interface EventUpdate {
  event_id: string
  [field: string]: unknown
}

/**
 * The request that updates one event, for `route` at `base` (the base URL without the route): HoneyHive's
 * `PUT /v1/events/{event_id}` on v1, the seed-era `PUT /events` with `event_id` in the body otherwise
 * (docs/feedback.md). A keyless client posts the update as it is, token included, to its relay.
 */
export function updateTarget(base: string, route: Route, update: EventUpdate, keyless: boolean) {
  if (keyless) return { method: 'post', url: base + route, body: update }
  if (route !== v1Route) return { method: 'put', url: `${base}/events`, body: update }
  const { event_id, ...fields } = update
  return { method: 'put', url: `${base}/v1/events/${encodeURIComponent(event_id)}`, body: fields }
}

/**
 * POSTs one batch (see `request`). After a partial 500 only the events it did not create are sent again.
 * Resolves the validated response, whose `event_ids` include those created on the way; rejects with
 * `HttpError` / `NetworkError` / `TimeoutError` (naming the events not delivered) or `InvalidResponseError`.
 */
export async function sendBatch(
  events: WireEvent[],
  frame: Frame,
  options: TransportOptions,
  init: SendInit = {},
): Promise<BatchResponse> {
  let pending = events
  const created: string[] = []
  const ids = () => pending.map((event) => event.id)
  /** After a partial 500 (`{ event_ids, errors, success }`), moves the events it created out of `pending`; true when none is left. */
  const forgetCreated = (error: HoneyHiveError): boolean => {
    const given = (error as HttpError).status === 500 && ((error as HttpError).body as BatchResponse)?.event_ids
    if (!Array.isArray(given)) return false
    const done = new Set(given.map(String))
    for (const event of pending) if (done.has(event.id)) created.push(event.id)
    pending = pending.filter((event) => !done.has(event.id))
    // A partial 500 that created every event leaves nothing to send again: a success.
    return created.length > 0 && pending.length === 0
  }
  const countSends = () => {
    for (const event of pending) event.sends = (event.sends ?? 0) + 1
  }
  const text = await request(
    'post',
    options.url,
    () => batchBody(pending, frame),
    ids,
    options,
    init,
    forgetCreated,
    countSends,
  )
  const body = parse(text)
  const result = check(batchResponseSchema, body)
  if (!result.output) {
    // Not HoneyHive's answer: nothing says the events were stored; the policy decides what to do (docs/failure-policy.md).
    if (ruleFor(options.policy ?? clientPolicy, { kind: 'invalid' }).mayHaveStored) countSends()
    throw new InvalidResponseError(body, ids())
  }
  return { ...result.output, event_ids: created.concat(result.output.event_ids) }
}

/**
 * Sends one event update (see `updateTarget`) with the retries of `options.policy` (`updatePolicy` retries
 * a 404: the event may not be stored yet). Resolves when HoneyHive answered 2xx; rejects with our errors
 * (an HTML page answered 2xx is an `InvalidResponseError`: a login or maintenance page, not HoneyHive).
 */
export async function sendUpdate(
  update: EventUpdate,
  route: Route,
  options: TransportOptions & { base: string; keyless?: boolean },
  init: SendInit = {},
): Promise<void> {
  const target = updateTarget(options.base, route, update, options.keyless ?? !options.apiKey)
  const ids = () => [update.event_id]
  const text = await request(
    target.method,
    target.url,
    () => toJson(target.body) as string,
    ids,
    options,
    init,
    () => false,
    () => {},
  )
  if (/^\s*</.test(text)) throw new InvalidResponseError(text, ids())
}
