import { parseBatch, type Checked } from './fake-batch.js'
import { createFaultQueue, json, refuse, retryHeaders, scriptedFault, type Fault } from './fake-faults.js'
import { applyUpdate, isUpdatePath, readUpdate } from './fake-update.js'
import { v1Route, seedRoute } from './routes.js'
import type { ModelEvent, SessionProperties } from './schema.js'
export type { Fault } from './fake-faults.js'

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

/** One event update the fake applied. */
export interface FakeUpdate {
  event_id: string
  /** `/v1/events/{event_id}` or the seed-era `/events`. */
  path: string
  /** The fields as sent (`feedback`, `metadata`, `outputs` ...; `event_id` too on `/events`). */
  update: Record<string, unknown>
  /** `Date.now()` when it was applied. */
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
  /** Every event update applied (404s and refusals are in `requests` only), in order. */
  readonly updates: FakeUpdate[]
  /** Scripts the next answers, one fault per request, in order. */
  fail(...faults: Fault[]): void
  /** Forgets events, requests and pending faults. */
  reset(): void
}

/**
 * Creates an in-process HoneyHive for tests and demos. It takes exactly what HoneyHive's Data Plane OpenAPI
 * 1.9.0 takes (schema-server.ts) on `POST /events/model/batch` (unknown keys kept) and `POST /v1/events/batch`
 * (strict), and on the event-update routes `PUT /v1/events/{event_id}` and the seed-era `PUT /events` (the
 * update merged into every stored copy of the event, 404 for an event it has not stored). It answers like
 * HoneyHive (`{ event_ids, success, session_id? }`; 404 for a wrong key), makes a session for a
 * `single_session: true` request and puts every event of it there, records what it received, and plays
 * scripted faults. Bodies are parsed as JSON whatever their content type, as beacons need.
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
  const faults = createFaultQueue()
  const updates: FakeUpdate[] = []
  // Every stored copy of an event by its id (duplicates included), for updates.
  const byId = new Map<string, ModelEvent[]>()

  /** `PUT /v1/events/{event_id}` and `PUT /events`: checked, faults played, applied to every stored copy. */
  async function answerUpdate(pathname: string, body: unknown, cors: Record<string, string>): Promise<Response> {
    const read = readUpdate(pathname, body)
    if (typeof read === 'string') return refuse(400, read, cors)
    const fault = faults.take('update')
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs))
    const status = fault?.status ?? (fault?.delayMs ? 200 : 500)
    if (fault && status >= 300) return scriptedFault(fault, status, retryHeaders(fault, cors))
    const stored = byId.get(read.event_id)
    // HoneyHive stores events asynchronously: an update that comes first is answered 404 (field notes §12).
    if (!stored) return refuse(404, `No event ${read.event_id}: never stored (or not yet)`, cors, 'NOT_FOUND')
    for (const event of stored) applyUpdate(event, read.update)
    updates.push({ event_id: read.event_id, path: pathname, update: read.update, at: Date.now() })
    return json(200, fault?.body ?? { success: true }, cors)
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const cors: Record<string, string> =
      options.cors === false
        ? {}
        : {
            'access-control-allow-origin': request.headers.get('origin') ?? '*',
            'access-control-allow-credentials': 'true',
            'access-control-allow-methods': 'POST, PUT, OPTIONS',
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
      const update = isUpdatePath(url.pathname)
      if (url.pathname !== seedRoute && url.pathname !== v1Route && !update)
        return refuse(404, `No route ${url.pathname}`, cors, 'NOT_FOUND')
      if (request.method !== (update ? 'PUT' : 'POST'))
        return refuse(405, `Use ${update ? 'PUT' : 'POST'}`, cors, 'METHOD_NOT_ALLOWED')
      // HoneyHive answers a rejected key (or a permission failure) with 404 since 2026-09-22 (field notes §10).
      if (options.apiKey && request.headers.get('authorization') !== `Bearer ${options.apiKey}`) {
        return refuse(404, 'Not found: invalid API key or no access to this project', cors, 'NOT_FOUND')
      }
      if (typeof body === 'string') return refuse(400, 'Body is not JSON', cors)
      if (update) return answerUpdate(url.pathname, body, cors)
      const batch = parseBatch(url.pathname, body)
      if (typeof batch === 'string') return refuse(400, batch, cors)
      const fault = faults.take('batch')
      if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs))
      // single_session: true makes a session for this request and puts every event of it there.
      const made = batch.single ? crypto.randomUUID() : undefined
      const store = (list: Exclude<Checked, string>['events']) =>
        list.map((event) => {
          const stored = {
            ...event,
            event_id: event.event_id ?? crypto.randomUUID(),
            ...(made && { session_id: made }),
          } as ModelEvent
          events.push(stored)
          byId.set(stored.event_id!, [...(byId.get(stored.event_id!) ?? []), stored])
          const id = stored.session_id ?? ''
          if (!sessions.has(id))
            sessions.set(id, {
              session_id: id,
              ...(made === id && batch.properties && { properties: batch.properties }),
              events: [],
            })
          sessions.get(id)!.events.push(stored)
          return stored.event_id
        })
      const status = fault?.status ?? (fault?.delayMs && fault.created === undefined ? 200 : 500)
      if (fault && (status >= 300 || fault.created !== undefined)) {
        const headers = retryHeaders(fault, cors)
        if (fault.created !== undefined) {
          const ids = store(batch.events.slice(0, fault.created))
          // v1 declares no body for a partial 500: the client cannot tell what was created.
          if (url.pathname === v1Route)
            return json(status, fault.body ?? { statusCode: 500, message: 'Internal error', success: false }, headers)
          const errors = batch.events.slice(fault.created).map(() => 'Internal error while creating event')
          return json(status, { event_ids: ids, errors, success: false }, headers)
        }
        return scriptedFault(fault, status, headers)
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
    updates,
    fail: (...more: Fault[]) => {
      faults.push(more)
    },
    reset: () => {
      events.length = 0
      requests.length = 0
      updates.length = 0
      byId.clear()
      sessions.clear()
      faults.clear()
    },
  })
}
