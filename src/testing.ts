import * as v from 'valibot'
import { v1Route, seedRoute } from './routes.js'
import {
  serverModelEventSchema,
  serverSeedBatchSchema,
  serverV1BatchSchema,
  serverV1EventSchema,
  type StoredEvent,
  type StoredSessionProperties,
} from './schema-server.js'
import type { ModelEvent, SessionProperties } from './schema.js'

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
   * `500 { event_ids: [their ids], errors: [...], success: false }` on the seed's route, and a plain
   * `500 { statusCode, message, success: false }` on v1 (which declares no body saying what was created).
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

/** One session as the fake stored it: its id, the properties it was created with, its events in arrival order. */
export interface FakeSession {
  session_id: string
  /** The `session_properties` of the `single_session` request that created it, if one did, every key kept (`source`...). */
  properties?: SessionProperties & Record<string, unknown>
  events: ModelEvent[]
}

export interface FakeHoneyHiveOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 404, as HoneyHive answers a rejected key since September 2026). */
  apiKey?: string
  /** Add CORS headers to every answer, as a browser-facing endpoint must (preflights get 204 either way). @default true */
  cors?: boolean
}

/** An in-process HoneyHive: a `(request) => Promise<Response>` handler with what it received. */
export interface FakeHoneyHive {
  (request: Request): Promise<Response>
  /** The same handler, for `{ fetch }`-style servers (Workers, Deno, Bun). */
  fetch(request: Request): Promise<Response>
  /**
   * Every event stored, as received on its route (seed fields, or v1's), in arrival order (duplicates included,
   * so tests can find them). Typed with the fields the client sends; an event may also hold what HoneyHive
   * takes and the client never sends (unknown keys on the seed route, `error: null`, `event_type: 'session'`).
   */
  readonly events: ModelEvent[]
  /** The stored events by `session_id`, in order of each session's first event. */
  readonly sessions: FakeSession[]
  /** Every request received, with the status answered. */
  readonly requests: ReceivedRequest[]
  /** Scripts the next answers, one fault per request, in order. */
  fail(...faults: Fault[]): void
  /** Forgets events, requests and pending faults. */
  reset(): void
}


function json(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers },
  })
}

const refuse = (status: number, message: string, headers: Record<string, string>, errorCode = 'BAD_REQUEST') =>
  json(status, { statusCode: status, message, success: false, errorCode }, headers)

// A refusal names at most this many problems: a large body of bad events is refused as fast as a small one
// (collecting every issue of 2 MiB of events blocked the event loop for seconds).
const maxIssues = 10

type Checked = { events: StoredEvent[]; single?: boolean; properties?: StoredSessionProperties } | string

const where = (prefix: string, issue: v.BaseIssue<unknown>) => `${[prefix, ...(issue.path?.map((item) => String(item.key)) ?? [])].filter(Boolean).join('.') || 'body'}: ${issue.message}`

/** Checks a batch body's frame, then its events one by one, stopping after `maxIssues` problems. */
function checkBatch(body: unknown, listKey: 'events' | 'model_events', frame: v.GenericSchema, event: v.GenericSchema): Checked {
  const framed = v.safeParse(frame, body)
  if (!framed.success) return framed.issues.slice(0, maxIssues).map((issue) => where('', issue)).join('; ')
  const list = (body as Record<string, unknown[]>)[listKey]
  const issues: string[] = []
  for (let index = 0; index < list.length && issues.length < maxIssues; index++) {
    const result = v.safeParse(event, list[index], { abortEarly: true })
    if (!result.success) issues.push(where(`${listKey}.${index}`, result.issues[0]))
  }
  if (issues.length > 0) return issues.join('; ')
  const output = framed.output as { single_session?: boolean; is_single_session?: boolean; session_properties?: StoredSessionProperties; session?: StoredSessionProperties }
  return { events: list as StoredEvent[], single: output.single_session ?? output.is_single_session, properties: output.session_properties ?? output.session }
}

// The frames: each schema with its list of events taken as it is, so that the events are checked one by one.
const seedFrame = v.looseObject({ ...serverSeedBatchSchema.entries, model_events: v.array(v.unknown()) })
const v1Frame = v.strictObject({ ...serverV1BatchSchema.entries, events: v.array(v.unknown()) })

/** A request's events and session fields, or why the route refuses it (400), as HoneyHive's spec decides. */
function parse(route: string, body: unknown): Checked {
  if (route === v1Route) return checkBatch(body, 'events', v1Frame, serverV1EventSchema)
  return checkBatch(body, 'model_events', seedFrame, serverModelEventSchema)
}

/**
 * Creates an in-process HoneyHive for tests and demos, serving both routes: `POST /events/model/batch` (the
 * seed's contract) and `POST /v1/events/batch` (strict: unknown keys, a missing `event_type` or `inputs`,
 * `project` and the deprecated aliases are refused). It answers like HoneyHive (`{ event_ids, success,
 * session_id? }`; 404 for a wrong key), makes a session for a `single_session: true` request and puts
 * every event of it there, records what it received, and plays scripted faults. Bodies are parsed as JSON
 * whatever their content type, as beacons need.
 *
 * @example
 * const honeyhive = createFakeHoneyHive({ apiKey: 'test-key' })
 * honeyhive.fail({ status: 429, retryAfter: 1 })
 * const hh = createClient({ apiKey: 'test-key', fetch: (input, init) => honeyhive(new Request(input, init)) })
 */
export function createFakeHoneyHive(options: FakeHoneyHiveOptions = {}): FakeHoneyHive {
  const events: ModelEvent[] = []
  const requests: ReceivedRequest[] = []
  const sessions = new Map<string, FakeSession>()
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
      if (url.pathname !== seedRoute && url.pathname !== v1Route) return refuse(404, `No route ${url.pathname}`, cors, 'NOT_FOUND')
      if (request.method !== 'POST') return refuse(405, 'Use POST', cors, 'METHOD_NOT_ALLOWED')
      // HoneyHive answers a rejected key (or a permission failure) with 404 since 2026-09-22 (field notes §10).
      if (options.apiKey && request.headers.get('authorization') !== `Bearer ${options.apiKey}`) {
        return refuse(404, 'Not found: invalid API key or no access to this project', cors, 'NOT_FOUND')
      }
      if (typeof body === 'string') return refuse(400, 'Body is not JSON', cors)
      const batch = parse(url.pathname, body)
      if (typeof batch === 'string') return refuse(400, batch, cors)
      const fault = faults.shift()
      if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs))
      // single_session: true makes a session for this request and puts every event of it there.
      const made = batch.single ? crypto.randomUUID() : undefined
      const store = (list: StoredEvent[]) =>
        list.map((event) => {
          const stored = { ...event, event_id: event.event_id ?? crypto.randomUUID(), ...(made && { session_id: made }) } as ModelEvent
          events.push(stored)
          const id = stored.session_id ?? ''
          if (!sessions.has(id)) sessions.set(id, { session_id: id, ...(made === id && batch.properties && { properties: batch.properties }), events: [] })
          sessions.get(id)!.events.push(stored)
          return stored.event_id
        })
      const status = fault?.status ?? (fault?.delayMs && fault.created === undefined ? 200 : 500)
      if (fault && (status >= 300 || fault.created !== undefined)) {
        const headers = fault.retryAfter === undefined ? cors : { ...cors, 'retry-after': String(fault.retryAfter) }
        if (fault.created !== undefined) {
          const ids = store(batch.events.slice(0, fault.created))
          // v1 declares no body for a partial 500: the client cannot tell what was created.
          if (url.pathname === v1Route) return json(status, fault.body ?? { statusCode: 500, message: 'Internal error', success: false }, headers)
          const errors = batch.events.slice(fault.created).map(() => 'Internal error while creating event')
          return json(status, { event_ids: ids, errors, success: false }, headers)
        }
        return json(status, fault.body ?? { statusCode: status, message: `Scripted fault ${status}`, success: false }, headers)
      }
      const ids = store(batch.events)
      if (fault?.body !== undefined) return json(status, fault.body, cors)
      const sessionId = made ?? batch.events[0]?.session_id
      return json(200, { event_ids: ids, success: true, ...(sessionId ? { session_id: sessionId } : {}) }, cors)
    }
    const response = await answer()
    record.status = response.status
    return response
  }

  const fake = ((request: Request) => handle(request)) as FakeHoneyHive
  // A getter, which Object.assign would read once: defined on its own.
  Object.defineProperty(fake, 'sessions', { get: () => [...sessions.values()] })
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
      sessions.clear()
      faults = []
    },
  })
}
