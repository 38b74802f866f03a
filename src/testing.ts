import { batchRequestSchema, check, modelEventSchema, type BatchRequest, type ModelEvent } from './schema.js'

/** One scripted answer of the fake, used by the next valid POST to the batch route (not by preflights or refused requests). */
export interface Fault {
  /** HTTP status to answer; a 2xx stores the events and answers 200 normally (unless `body` is set). @default 500, or 200 for a fault that only has `delayMs` */
  status?: number
  /** `Retry-After` header value: seconds, or an HTTP date. */
  retryAfter?: number | string
  /** Wait this long (ms) before answering (to provoke timeouts). */
  delayMs?: number
  /** Response body; JSON-encoded unless a string. @default `{ statusCode, message, success: false }` */
  body?: unknown
  /**
   * A partial 500: the first `created` events of the batch are stored, and the answer is
   * `500 { event_ids: [their ids], errors: [...], success: false }`.
   */
  created?: number
}

/** What the fake recorded of one request. */
export interface ReceivedRequest {
  method: string
  path: string
  headers: Record<string, string>
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown
  /** The status the fake answered. */
  status: number
  /** `Date.now()` when the request arrived. */
  at: number
}

export interface FakeHoneyHiveOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string
  /** Add CORS headers to every answer, as a browser-facing endpoint must (preflights get 204 either way). @default true */
  cors?: boolean
}

/** An in-process HoneyHive: a `(request) => Promise<Response>` handler with what it received. */
export interface FakeHoneyHive {
  (request: Request): Promise<Response>
  /** The same handler, for `{ fetch }`-style servers (Workers, Deno, Bun). */
  fetch(request: Request): Promise<Response>
  /** Every model event stored, in arrival order (duplicates included, so tests can find them). */
  readonly events: ModelEvent[]
  /** Every request received, with the status answered. */
  readonly requests: ReceivedRequest[]
  /** Scripts the next answers, one fault per request, in order. */
  fail(...faults: Fault[]): void
  /** Forgets events, requests and pending faults. */
  reset(): void
}

const eventKeys = new Set(Object.keys(modelEventSchema.entries))
const batchKeys = new Set(Object.keys(batchRequestSchema.entries))

function json(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers },
  })
}

const refuse = (status: number, message: string, headers: Record<string, string>, errorCode = 'BAD_REQUEST') =>
  json(status, { statusCode: status, message, success: false, errorCode }, headers)

/** Finds keys the API does not know: the fake is strict, so a client that sends extra keys is caught. */
function unknownKeys(body: BatchRequest & Record<string, unknown>): string[] {
  const extra = Object.keys(body).filter((key) => !batchKeys.has(key))
  body.model_events.forEach((event, index) => {
    for (const key of Object.keys(event)) if (!eventKeys.has(key)) extra.push(`model_events.${index}.${key}`)
  })
  return extra
}

/**
 * Creates an in-process HoneyHive for tests and demos. It validates requests against the same contract
 * as the real API, answers like it (`{ event_ids, success, session_id? }`), records what it received, and
 * plays scripted faults. Bodies are parsed as JSON whatever their content type, as beacons need.
 *
 * @example
 * const honeyhive = createFakeHoneyHive({ apiKey: 'test-key' })
 * honeyhive.fail({ status: 429, retryAfter: 1 })
 * const hh = createClient({ apiKey: 'test-key', fetch: (input, init) => honeyhive(new Request(input, init)) })
 */
export function createFakeHoneyHive(options: FakeHoneyHiveOptions = {}): FakeHoneyHive {
  const events: ModelEvent[] = []
  const requests: ReceivedRequest[] = []
  let faults: Fault[] = []

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const cors: Record<string, string> =
      options.cors === false
        ? {}
        : {
            'access-control-allow-origin': request.headers.get('origin') ?? '*',
            'access-control-allow-credentials': 'true',
            'access-control-allow-methods': 'POST, OPTIONS',
            'access-control-allow-headers': 'authorization, content-type',
            'access-control-max-age': '600',
          }
    const text = await request.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {}
    const record: ReceivedRequest = {
      method: request.method,
      path: url.pathname,
      headers: Object.fromEntries(request.headers),
      body,
      status: 0,
      at: Date.now(),
    }
    requests.push(record)
    const answer = async (): Promise<Response> => {
      if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: cors })
      if (url.pathname !== '/events/model/batch') return refuse(404, `No route ${url.pathname}`, cors, 'NOT_FOUND')
      if (request.method !== 'POST') return refuse(405, 'Use POST', cors, 'METHOD_NOT_ALLOWED')
      if (options.apiKey && request.headers.get('authorization') !== `Bearer ${options.apiKey}`) {
        return refuse(401, 'Invalid or missing API key', cors, 'UNAUTHORIZED')
      }
      if (typeof body === 'string') return refuse(400, 'Body is not JSON', cors)
      const result = check(batchRequestSchema, body)
      if (!result.output) {
        return refuse(400, result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '), cors)
      }
      const extra = unknownKeys(body as BatchRequest & Record<string, unknown>)
      if (extra.length > 0) return refuse(400, `Unknown keys: ${extra.join(', ')}`, cors)
      const batch = body as BatchRequest
      const fault = faults.shift()
      if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs))
      const store = (list: ModelEvent[]) =>
        list.map((event) => {
          const stored = { ...event, event_id: event.event_id ?? crypto.randomUUID() }
          events.push(stored)
          return stored.event_id
        })
      const status = fault?.status ?? (fault?.delayMs && fault.created === undefined ? 200 : 500)
      if (fault && (status >= 300 || fault.created !== undefined)) {
        const headers = fault.retryAfter === undefined ? cors : { ...cors, 'retry-after': String(fault.retryAfter) }
        if (fault.created !== undefined) {
          const ids = store(batch.model_events.slice(0, fault.created))
          const errors = batch.model_events.slice(fault.created).map(() => 'Internal error while creating event')
          return json(status, { event_ids: ids, errors, success: false }, headers)
        }
        return json(status, fault.body ?? { statusCode: status, message: `Scripted fault ${status}`, success: false }, headers)
      }
      const ids = store(batch.model_events)
      if (fault?.body !== undefined) return json(status, fault.body, cors)
      const sessionId = batch.model_events[0]?.session_id
      return json(200, { event_ids: ids, success: true, ...(sessionId ? { session_id: sessionId } : {}) }, cors)
    }
    const response = await answer()
    record.status = response.status
    return response
  }

  const fake = ((request: Request) => handle(request)) as FakeHoneyHive
  return Object.assign(fake, {
    fetch: handle,
    events,
    requests,
    fail: (...more: Fault[]) => {
      faults.push(...more)
    },
    reset: () => {
      events.length = 0
      requests.length = 0
      faults = []
    },
  })
}
