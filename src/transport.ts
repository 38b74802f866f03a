import ky, { type HTTPError as KyHttpError } from 'ky'
import { HttpError, InvalidResponseError, NetworkError, TimeoutError, type HoneyHiveError } from './errors.js'
import { toJson } from './encode.js'
import type { FetchLike } from './options.js'
import { batchResponseSchema, check, type BatchResponse } from './schema.js'

// The only module that talks to ky: one batch, one request (with its retries), typed errors out.

/** What a request needs to be sent. */
export interface TransportOptions {
  url: string
  apiKey?: string
  fetch?: FetchLike
  timeoutMs: number
  maxRetries: number
  maxRetryAfterMs: number
  /** Called before each retry, with the attempt number (1 for the first retry) and what failed. */
  onRetry?: (attempt: number, error: HoneyHiveError) => void
}

/** An event as it travels: its id and its JSON text. */
export interface WireEvent {
  id: string
  json: string
}

/** The request body for these events; `tail` is the batch's other fields as JSON members (`,"a":1`), or ''. */
export function batchBody(events: WireEvent[], tail: string): string {
  return `{"model_events":[${events.map((event) => event.json).join(',')}]${tail}}`
}

/** A batch's fields other than `model_events`, as JSON members for `batchBody` (`,"single_session":true`), or ''. */
export function sessionTail(fields: object): string {
  const json = toJson(fields)
  return json === '{}' ? '' : `,${json.slice(1, -1)}`
}

/** Statuses retried, as the spec's failure policy says; 413 is not among them (the queue splits instead). */
export const retryStatuses = [408, 429, 500, 502, 503, 504]

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
  tail: string,
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
  let response: Response
  try {
    response = await ky.post(options.url, {
      headers: { 'content-type': 'application/json', ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }) },
      timeout: options.timeoutMs,
      // ky's request has no body, so the clone ky keeps for retries costs nothing; each attempt posts a
      // Request of the events still pending (built from parts: happy-dom's `new Request(request, { body })`
      // keeps the old body). The fetch is looked up per call, so one patched after createClient is used.
      fetch: (request, requestInit) => {
        const { url, headers, signal } = request as Request
        const body = batchBody(pending, tail)
        return (options.fetch ?? fetch)(new Request(url, { method: 'POST', headers, signal, body, ...(init.keepalive && { keepalive: true }) }), requestInit)
      },
      retry: {
        limit: options.maxRetries,
        methods: ['post'],
        statusCodes: retryStatuses,
        maxRetryAfter: options.maxRetryAfterMs,
        backoffLimit: 30_000,
        jitter: true,
        retryOnTimeout: true,
      },
      hooks: {
        beforeRetry: [
          ({ error, retryCount }) => {
            forgetCreated(error)
            options.onRetry?.(retryCount, toError(error, ids()))
            // A partial 500 that created every event leaves nothing to send again.
            return created.length > 0 && pending.length === 0 ? Response.json({ event_ids: [], success: true }) : undefined
          },
        ],
      },
    })
  } catch (error) {
    forgetCreated(error)
    // A partial 500 on the last attempt that created every event is a success.
    if (pending.length > 0 || created.length === 0) throw toError(error, ids())
    return { event_ids: created, success: true }
  }
  const text = await response.text().catch(() => '')
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  const result = check(batchResponseSchema, body)
  if (!result.output) throw new InvalidResponseError(body, ids())
  return { ...result.output, event_ids: created.concat(result.output.event_ids) }
}
