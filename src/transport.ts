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

// Statuses retried, as the spec's failure policy says; 413 is not among them (the queue splits instead).
const retryStatuses = [408, 429, 500, 502, 503, 504]

function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after')
  if (!value) return undefined
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - Date.now()
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined
}

/** The ids a partial 500 says were created (`{ event_ids, errors, success }`), if it says so. */
function createdIds(error: unknown): Set<string> | undefined {
  const kyError = error as KyHttpError
  const ids = kyError?.name === 'HTTPError' && kyError.response.status === 500 && (kyError.data as BatchResponse)?.event_ids
  return Array.isArray(ids) && ids.length > 0 ? new Set(ids.map(String)) : undefined
}

function toError(error: unknown, eventIds: string[]): HoneyHiveError {
  const kyError = error as KyHttpError
  // ky's errors hold the request, Authorization header included: the cause keeps only name and message.
  error = Object.assign(new Error(kyError?.message ?? String(error)), { name: kyError?.name ?? 'Error' })
  if (kyError?.name === 'HTTPError') {
    return new HttpError(kyError.response.status, kyError.data, eventIds, retryAfterMs(kyError.response.headers), error)
  }
  if (kyError?.name === 'TimeoutError') return new TimeoutError(eventIds, error)
  return new NetworkError(eventIds, error)
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
  const forgetCreated = (error: unknown): boolean => {
    const ids = createdIds(error)
    if (ids) {
      created.push(...pending.filter((event) => ids.has(event.id)).map((event) => event.id))
      pending = pending.filter((event) => !ids.has(event.id))
    }
    return ids !== undefined
  }
  const ids = () => pending.map((event) => event.id)
  let response: Response
  try {
    response = await ky.post(options.url, {
      body: batchBody(pending, tail),
      headers: {
        'content-type': 'application/json',
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      },
      ...(init.keepalive ? { keepalive: true } : {}),
      timeout: options.timeoutMs,
      // Looked up per call, so a fetch patched or polyfilled after createClient is used.
      fetch: (input, requestInit) => (options.fetch ?? globalThis.fetch)(input, requestInit),
      retry: {
        limit: options.maxRetries,
        methods: ['post'],
        statusCodes: retryStatuses,
        afterStatusCodes: [429, 503],
        maxRetryAfter: options.maxRetryAfterMs,
        backoffLimit: 30_000,
        jitter: (delay) => delay * (0.5 + Math.random() / 2),
        retryOnTimeout: true,
      },
      hooks: {
        beforeRetry: [
          ({ request, error, retryCount }) => {
            const partial = forgetCreated(error)
            options.onRetry?.(retryCount, toError(error, ids()))
            if (!partial) return undefined
            if (pending.length === 0) return Response.json({ event_ids: [], success: true })
            // Built from parts: happy-dom's `new Request(request, { body })` keeps the old body.
            const { url, method, headers, signal, keepalive } = request
            return new Request(url, { method, headers, signal, keepalive, body: batchBody(pending, tail) })
          },
        ],
      },
    })
  } catch (error) {
    forgetCreated(error)
    throw toError(error, ids())
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
