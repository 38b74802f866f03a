import ky, { type HTTPError as KyHttpError } from 'ky'
import { HttpError, InvalidResponseError, NetworkError, TimeoutError, type HoneyHiveError } from './errors.js'
import type { Frame } from './routes.js'
import type { FetchLike } from './options.js'
import { batchResponseSchema, check, type BatchResponse } from './schema.js'

// The only module that talks to ky: one batch, one request (with its retries), typed errors out.

/** What a request needs to be sent. */
export interface TransportOptions {
  url: string
  apiKey?: string
  fetch?: FetchLike
  /** Time limit of one attempt, body included; doubled after each timeout, up to `maxTimeoutMs`, for the life of these options. */
  timeoutMs: number
  maxTimeoutMs: number
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

/** Statuses retried, as the spec's failure policy says; 413 is not among them (the queue splits instead). */
export const retryStatuses = [408, 429, 500, 502, 503, 504]

// 408, 429 and 503 say the request was not processed; a timeout, a 500 (maybe partial) or a gateway's 502/504 may have stored it.
const mayHaveStored = (error: HoneyHiveError): boolean => error instanceof TimeoutError || [500, 502, 504].includes((error as HttpError).status)

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

/**
 * POSTs one batch, retrying network errors, timeouts and the statuses above with exponential backoff and
 * jitter (or the server's `Retry-After`, capped). After a partial 500 only the events it did not create
 * are sent again. Resolves the validated response, whose `event_ids` include those created on the way;
 * rejects with `HttpError` / `NetworkError` / `TimeoutError` (naming the events not delivered) or
 * `InvalidResponseError`.
 */
export async function sendBatch(
  events: WireEvent[],
  frame: Frame,
  options: TransportOptions,
  init: { keepalive?: boolean } = {},
): Promise<BatchResponse> {
  let pending = events
  const created: string[] = []
  /** After a partial 500 (`{ event_ids, errors, success }`), moves the events it created out of `pending`. */
  const forgetCreated = (error: unknown): void => {
    const { response, data } = (error ?? {}) as Partial<KyHttpError<BatchResponse>>
    const ids = response?.status === 500 && (data as BatchResponse)?.event_ids
    if (!Array.isArray(ids)) return
    const done = new Set(ids.map(String))
    for (const event of pending) if (done.has(event.id)) created.push(event.id)
    pending = pending.filter((event) => !done.has(event.id))
  }
  const ids = () => pending.map((event) => event.id)
  /** Counts an attempt that may have stored the events still pending, and lengthens the next attempt's limit after a timeout. */
  const note = (error: unknown): HoneyHiveError => {
    const failure = toError(error, ids())
    if (mayHaveStored(failure)) for (const event of pending) event.sends = (event.sends ?? 0) + 1
    // A server slower than the limit stored what timed out: give it the time it takes instead of copies.
    if (failure instanceof TimeoutError) options.timeoutMs = Math.min(options.timeoutMs * 2, options.maxTimeoutMs)
    return failure
  }
  let response: Response
  try {
    response = await ky.post(options.url, {
      headers: { 'content-type': 'application/json', ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }) },
      // Our own per-attempt limit below bounds the body read too, which ky's timeout does not.
      timeout: false,
      signal: options.signal,
      // ky's request has no body, so the clone ky keeps for retries costs nothing; each attempt posts a
      // Request of the events still pending (built from parts: happy-dom's `new Request(request, { body })`
      // keeps the old body). The fetch is looked up per call, so one patched after createClient is used.
      fetch: async (request, requestInit) => {
        const { url, headers, signal } = request as Request
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
        const onAbort = () => stop(signal.reason)
        signal.addEventListener('abort', onAbort)
        // ky retries by name (TimeoutError), as for its own timeouts.
        const timer = setTimeout(() => stop(Object.assign(new Error(`No answer within ${options.timeoutMs} ms`), { name: 'TimeoutError' })), options.timeoutMs)
        try {
          const body = batchBody(pending, frame)
          const answer = await Promise.race([
            (options.fetch ?? fetch)(new Request(url, { method: 'POST', headers, signal: attempt.signal, body, ...(init.keepalive && { keepalive: true }) }), requestInit),
            cut,
          ])
          // The body is read inside the attempt's limit: a 2xx whose body stalls is a timeout, not a hang.
          // A null-body status (204) cannot be given even an empty string.
          return new Response((await Promise.race([answer.text(), cut])) || null, answer)
        } finally {
          clearTimeout(timer)
          signal.removeEventListener('abort', onAbort)
        }
      },
      retry: {
        limit: options.maxRetries,
        methods: ['post'],
        statusCodes: retryStatuses,
        maxRetryAfter: options.maxRetryAfterMs,
        backoffLimit: 30_000,
        jitter: true,
        retryOnTimeout: true,
        // ky knows network errors by their messages and timeouts by class name, which miss Workers'
        // "Network connection lost." (an Error), Bun's ECONNREFUSED and, once minified, our TimeoutError: any
        // failure without an answer is retried (HTTP statuses keep ky's own rules and Retry-After); an
        // abort of ours (shutdown's deadline) is not.
        shouldRetry: ({ error }) => ((error as { response?: unknown })?.response ? undefined : !options.signal?.aborted),
      },
      hooks: {
        beforeRetry: [
          ({ error, retryCount }) => {
            forgetCreated(error)
            // note() always runs: it counts the sends and lengthens the next attempt, whoever listens.
            const failure = note(error)
            options.onRetry?.(retryCount, failure)
            // A partial 500 that created every event leaves nothing to send again.
            return created.length > 0 && pending.length === 0 ? Response.json({ event_ids: [], success: true }) : undefined
          },
        ],
      },
    })
  } catch (error) {
    forgetCreated(error)
    const failure = note(error)
    // A partial 500 on the last attempt that created every event is a success.
    if (pending.length > 0 || created.length === 0) throw failure
    return { event_ids: created, success: true }
  }
  // Already read, within the attempt's limit.
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  const result = check(batchResponseSchema, body)
  if (!result.output) throw new InvalidResponseError(body, ids())
  return { ...result.output, event_ids: created.concat(result.output.event_ids) }
}
