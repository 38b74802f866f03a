import ky, { type HTTPError as KyHttpError } from 'ky'
import { toJson } from './encode.js'
import { HttpError, InvalidResponseError, NetworkError, TimeoutError, type HoneyHiveError } from './errors.js'
import type { FetchLike } from './options.js'
import { clientPolicy, retriedStatuses, ruleFor, type Policy } from './policy.js'
import { v1Route, type Frame, type Route } from './routes.js'
import { batchResponseSchema, check, type BatchResponse } from './schema.js'

// The only module that talks to ky: one batch, one request (with its retries), typed errors out.

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

function toError(error: unknown, eventIds: string[]): HoneyHiveError {
  const { name, message, response, data } = (error ?? {}) as { name?: string; message?: string; response: Response; data?: unknown }
  // ky's errors hold the request, Authorization header included: the cause keeps only name and message.
  const cause = { name, message }
  if (name === 'TimeoutError') return new TimeoutError(eventIds, cause)
  if (name !== 'HTTPError') return new NetworkError(eventIds, cause)
  // Retry-After: seconds or an HTTP date (which has letters: `Date.parse` would also read '1.5' as a date).
  const after = response.headers.get('retry-after') ?? ''
  const wait = /^\d+$/.test(after) ? Number(after) * 1000 : /[a-z]/i.test(after) ? Date.parse(after) - Date.now() : NaN
  return new HttpError(response.status, data, eventIds, Number.isNaN(wait) ? undefined : Math.max(0, wait), cause)
}

/** Per call: whether the request may use `keepalive` (a page's budget, unload.ts), and what aborts it. */
export interface SendInit {
  keepalive?: boolean
  /** Aborts the request in flight and any wait between attempts. @default options.signal */
  signal?: AbortSignal
}

/**
 * Sends one request with ky, retrying network errors, timeouts and the statuses `policy` retries, with
 * exponential backoff and jitter (or the server's `Retry-After`, capped). `body()` is asked for each attempt
 * (a partial 500 leaves fewer events to send); `retried(error)` sees each failure first and may answer for
 * the request instead. Resolves the answer's text (read within the attempt's limit); rejects with our errors.
 */
async function request(
  method: string,
  url: string,
  body: () => string,
  ids: () => string[],
  options: TransportOptions,
  init: SendInit,
  retried: (error: unknown) => Response | undefined,
  counted: (failure: HoneyHiveError) => void,
): Promise<string> {
  const policy = options.policy ?? clientPolicy
  const limit = (options.limit ??= { ms: options.timeoutMs })
  const signal = init.signal ?? options.signal
  /** Counts an attempt that may have stored what is pending, and lengthens the next attempt's limit after a timeout. */
  const note = (error: unknown): HoneyHiveError => {
    const failure = toError(error, ids())
    if (ruleFor(policy, answerOf(failure)).mayHaveStored) counted(failure)
    if (failure instanceof TimeoutError) limit.ms = Math.min(limit.ms * 2, options.maxTimeoutMs)
    return failure
  }
  let response: Response
  try {
    response = await ky(url, {
      method,
      headers: { 'content-type': 'application/json', ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }) },
      // Our own per-attempt limit below bounds the body read too, which ky's timeout does not.
      timeout: false,
      signal,
      // ky's request has no body, so the clone ky keeps for retries costs nothing; each attempt sends a
      // Request of what is still pending (built from parts: happy-dom's `new Request(request, { body })`
      // keeps the old body). The fetch is looked up per call, so one patched after createClient is used.
      fetch: async (kyRequest, requestInit) => {
        const { url: target, headers, signal: kySignal } = kyRequest as Request
        const attempt = new AbortController()
        let stop!: (error: unknown) => void
        // Rejects when the attempt's limit passes or the request is aborted, whether or not the fetch in use
        // honours its signal while a body is read (happy-dom does not).
        const cut = new Promise<never>((_, reject) => {
          // Rejected before the abort: a browser's fetch rejects at once on abort, and its AbortError must not win the race.
          stop = (error) => {
            reject(error)
            attempt.abort()
          }
        })
        cut.catch(() => {})
        const onAbort = () => stop(kySignal.reason)
        kySignal.addEventListener('abort', onAbort)
        const ms = limit.ms
        // ky retries by name (TimeoutError), as for its own timeouts.
        const timer = setTimeout(() => stop(Object.assign(new Error(`No answer within ${ms} ms`), { name: 'TimeoutError' })), ms)
        try {
          const sent = new Request(target, {
            method: method.toUpperCase(),
            headers,
            signal: attempt.signal,
            body: body(),
            ...(init.keepalive && { keepalive: true }),
          })
          const answer = await Promise.race([(options.fetch ?? fetch)(sent, requestInit), cut])
          // The body is read inside the attempt's limit: a 2xx whose body stalls is a timeout, not a hang.
          // A null-body status (204) cannot be given even an empty string.
          return new Response((await Promise.race([answer.text(), cut])) || null, answer)
        } finally {
          clearTimeout(timer)
          kySignal.removeEventListener('abort', onAbort)
        }
      },
      retry: {
        limit: options.maxRetries,
        methods: [method],
        statusCodes: retriedStatuses(policy),
        maxRetryAfter: options.maxRetryAfterMs,
        backoffLimit: 30_000,
        jitter: true,
        retryOnTimeout: true,
        // ky knows network errors by their messages and timeouts by class name, which miss Workers'
        // "Network connection lost." (an Error), Bun's ECONNREFUSED and, once minified, our TimeoutError: any
        // failure without an answer is retried (HTTP statuses keep ky's own rules and Retry-After); an
        // abort of ours (shutdown's deadline) is not.
        shouldRetry: ({ error }) => ((error as { response?: unknown })?.response ? undefined : !signal?.aborted),
      },
      hooks: {
        beforeRetry: [
          ({ error, retryCount }) => {
            const answered = retried(error)
            // note() always runs: it counts the sends and lengthens the next attempt, whoever listens.
            const failure = note(error)
            options.onRetry?.(retryCount, failure)
            return answered
          },
        ],
      },
    })
  } catch (error) {
    const answered = retried(error)
    const failure = note(error)
    if (answered) return answered.text()
    throw failure
  }
  // Already read, within the attempt's limit.
  return response.text()
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
export async function sendBatch(events: WireEvent[], frame: Frame, options: TransportOptions, init: SendInit = {}): Promise<BatchResponse> {
  let pending = events
  const created: string[] = []
  const ids = () => pending.map((event) => event.id)
  /** After a partial 500 (`{ event_ids, errors, success }`), moves the events it created out of `pending`; answers for a request that has nothing left. */
  const forgetCreated = (error: unknown): Response | undefined => {
    const { response, data } = (error ?? {}) as Partial<KyHttpError<BatchResponse>>
    const given = response?.status === 500 && (data as BatchResponse)?.event_ids
    if (!Array.isArray(given)) return undefined
    const done = new Set(given.map(String))
    for (const event of pending) if (done.has(event.id)) created.push(event.id)
    pending = pending.filter((event) => !done.has(event.id))
    // A partial 500 that created every event leaves nothing to send again: a success.
    return created.length > 0 && pending.length === 0 ? Response.json({ event_ids: [], success: true }) : undefined
  }
  const countSends = () => {
    for (const event of pending) event.sends = (event.sends ?? 0) + 1
  }
  const text = await request('post', options.url, () => batchBody(pending, frame), ids, options, init, forgetCreated, countSends)
  const body = parse(text)
  const result = check(batchResponseSchema, body)
  if (!result.output) {
    // Not HoneyHive's answer: nothing says the events were stored; the policy decides what to do (README, "Failure policy").
    for (const event of pending) event.sends = (event.sends ?? 0) + 1
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
  const text = await request(target.method, target.url, () => toJson(target.body) as string, ids, options, init, () => undefined, () => {})
  if (/^\s*</.test(text)) throw new InvalidResponseError(text, ids())
}
