import { toJson } from './encode.js'
import { HoneyHiveError, HttpError, InvalidResponseError, NetworkError, TimeoutError } from './errors.js'
import type { FetchLike } from './options.js'
import { clientPolicy, retriedStatuses, ruleFor, type Policy } from './policy.js'
import { v1Route, type Frame, type Route } from './routes.js'
import { batchResponseSchema, check, type BatchResponse } from './schema.js'

// The only module that calls fetch: one batch or one event update, one request (with its retries), typed
// errors out. Which answers are retried is the failure policy's (policy.ts).

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

/** An error as the policy reads it. */
export const answerOf = (error: HoneyHiveError) =>
  error instanceof HttpError
    ? ({ kind: 'status', status: error.status } as const)
    : error instanceof TimeoutError
      ? ({ kind: 'timeout' } as const)
      : error instanceof InvalidResponseError
        ? ({ kind: 'invalid' } as const)
        : ({ kind: 'network' } as const)

/** One event update (feedback, metadata ...) as it travels: HoneyHive's update fields and the event's id. */
export interface EventUpdate {
  event_id: string
  [field: string]: unknown
}

/**
 * The request that updates one event, for `route` at `base` (the base URL without the route): HoneyHive's
 * `PUT /v1/events/{event_id}` on v1, the seed-era `PUT /events` with `event_id` in the body otherwise
 * (README, "Feedback"). A keyless client posts the update as it is, token included, to its relay.
 */
export function updateTarget(base: string, route: Route, update: EventUpdate, keyless: boolean) {
  if (keyless) return { method: 'post', url: base + route, body: update }
  if (route !== v1Route) return { method: 'put', url: `${base}/events`, body: update }
  const { event_id, ...fields } = update
  return { method: 'put', url: `${base}/v1/events/${encodeURIComponent(event_id)}`, body: fields }
}

/** Retry-After (seconds or an HTTP date, which has letters: `Date.parse` would also read '1.5' as a date), in ms. */
function retryAfter(response: Response): number | undefined {
  const after = response.headers.get('retry-after') ?? ''
  const wait = /^\d+$/.test(after) ? Number(after) * 1000 : /[a-z]/i.test(after) ? Date.parse(after) - Date.now() : NaN
  return Number.isNaN(wait) ? undefined : Math.max(0, wait)
}

/** Per call: whether the request may use `keepalive` (a page's budget, unload.ts), and what aborts it. */
export interface SendInit {
  keepalive?: boolean
  /** Aborts the request in flight and any wait between attempts. @default options.signal */
  signal?: AbortSignal
}

/** Resolves after `ms`, or at once when `signal` aborts. */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done)
  })

/**
 * One attempt: the response and its text, both within the attempt's limit (a 2xx whose body stalls is a
 * timeout, not a hang), whether or not the fetch in use honours its signal while a body is read (happy-dom
 * does not). Rejects with `TimeoutError` or `NetworkError` (an abort of ours included).
 */
async function attempt(
  request: (signal: AbortSignal) => Request,
  options: TransportOptions,
  ids: string[],
  ms: number,
  signal?: AbortSignal,
) {
  const controller = new AbortController()
  let stop!: (error: HoneyHiveError) => void
  // Rejected before the abort: a browser's fetch rejects at once on abort, and its AbortError must not win the race.
  const cut = new Promise<never>((_, reject) => {
    stop = (error) => {
      reject(error)
      controller.abort()
    }
  })
  cut.catch(() => {})
  const onAbort = () => stop(new NetworkError(ids, { name: 'AbortError', message: 'aborted: the deadline passed' }))
  signal?.addEventListener('abort', onAbort)
  const timer = setTimeout(
    () => stop(new TimeoutError(ids, { name: 'TimeoutError', message: `No answer within ${ms} ms` })),
    ms,
  )
  try {
    if (signal?.aborted) onAbort()
    const response = await Promise.race([(options.fetch ?? fetch)(request(controller.signal)), cut])
    return { response, text: await Promise.race([response.text(), cut]) }
  } catch (error) {
    // Anything without an answer (Workers' "Network connection lost.", Bun's ECONNREFUSED, a DNS failure).
    if (error instanceof HoneyHiveError) throw error
    const { name, message } = (error ?? {}) as { name?: string; message?: string }
    throw new NetworkError(ids, { name, message })
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * Sends one request, retrying network errors, timeouts and the statuses `policy` retries, up to
 * `maxRetries` times: after the server's `Retry-After` (capped at `maxRetryAfterMs`), else 0.3 s, 0.6 s,
 * 1.2 s ... (at most 30 s) with full jitter. `body()` is asked for each attempt (a partial 500 leaves fewer
 * events to send); `done(error)` sees each failure first and answers true when nothing is left to send.
 * Resolves the answer's text; rejects with our errors. The only place that calls `fetch`.
 */
async function request(
  method: string,
  url: string,
  body: () => string,
  ids: () => string[],
  options: TransportOptions,
  init: SendInit,
  done: (error: HoneyHiveError) => boolean,
  counted: (failure: HoneyHiveError) => void,
): Promise<string> {
  const policy = options.policy ?? clientPolicy
  const limit = (options.limit ??= { ms: options.timeoutMs })
  const signal = init.signal ?? options.signal
  const headers = {
    'content-type': 'application/json',
    ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }),
  }
  for (let retries = 0; ; retries++) {
    let failure: HoneyHiveError
    try {
      const make = (abort: AbortSignal) =>
        new Request(url, {
          method: method.toUpperCase(),
          headers,
          body: body(),
          signal: abort,
          ...(init.keepalive && { keepalive: true }),
        })
      const { response, text } = await attempt(make, options, ids(), limit.ms, signal)
      if (response.ok) return text
      const cause = { name: 'HTTPError', message: `${response.status} ${response.statusText}`.trim() }
      failure = new HttpError(response.status, parse(text), ids(), retryAfter(response), cause)
    } catch (error) {
      failure = error as HoneyHiveError
    }
    if (done(failure)) return '{"event_ids":[],"success":true}'
    const rule = ruleFor(policy, answerOf(failure))
    if (rule.mayHaveStored) counted(failure)
    // A server slower than the limit stored what timed out: give it the time it takes instead of copies.
    if (failure instanceof TimeoutError) limit.ms = Math.min(limit.ms * 2, options.maxTimeoutMs)
    const status = (failure as HttpError).status
    const again = rule.action === 'retry' && (!status || retriedStatuses(policy).includes(status))
    if (!again || retries >= options.maxRetries || signal?.aborted) throw failure
    options.onRetry?.(retries + 1, failure)
    const asked = (failure as HttpError).retryAfterMs
    await sleep(
      asked === undefined
        ? Math.random() * Math.min(300 * 2 ** retries, 30_000)
        : Math.min(asked, options.maxRetryAfterMs),
      signal,
    )
    if (signal?.aborted) throw failure
  }
}

/** The answer's JSON, or the text itself when it is not JSON. */
const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
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
    // Not HoneyHive's answer: nothing says the events were stored; the policy decides what to do (README, "Failure policy").
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
