import { toV1Event, v1Route, type Route } from '../routes.js'
import type { ModelEvent } from '../schema.js'
import { applyUpdate, type ReadUpdate } from '../fake-update.js'
import { createStore, type Dropped, type Store } from './record-store.js'
import { ownText } from './retained.js'
import { readEvent, summarizeSession, type EventSummary, type SessionSummary } from './summary.js'

/** One request in the request log. */
export interface RequestEntry {
  /** Its number, from 1, in arrival order. */
  id: number
  /** `Date.now()` when it arrived. */
  at: number
  /** Time until it was answered, in ms (until the connection was dropped or the stall began, for those). */
  ms: number
  method: string
  path: string
  /** A `text/plain` POST: what `sendBeacon` sends when a page goes away. */
  beacon: boolean
  /** The status answered; 0 when the connection was dropped. */
  status: number
  /** Events in its body, and how many of them were stored. */
  events: number
  stored: number
  /** The fault played on it: `429 Retry-After 2 s`, `500`, `413`, `stall` or `down`. */
  fault?: string
  /**
   * Ids it stored that an earlier request (or an earlier place in its own body) had stored already: the
   * first 20 (each cut to 100 characters); `duplicateCount` says how many there were.
   */
  duplicates: string[]
  duplicateCount: number
  /** The refusal's message (a 400 says what is wrong), or what happened to the connection; cut to 1,000 characters. */
  note?: string
}

/** What the record is given of each request. */
export interface Arrival extends Omit<RequestEntry, 'id' | 'events' | 'stored' | 'duplicates' | 'duplicateCount'> {
  route: Route
  /** The events of its body, as sent. */
  carried: ModelEvent[]
  /** The events the fake stored from it, as stored (ids filled in, session ids as made). */
  stored: ModelEvent[]
}

/** An event with everything the page shows of it. */
export interface EventDetail {
  summary: EventSummary
  /** Every field as received (as stored, once stored). */
  received: ModelEvent
  /** Where `/v1/events/batch` would have stored it: the event mapped to v1, for an event received on the seed's route. */
  v1?: Record<string, unknown>
}

/** What one request changed, as the page is told it. */
export interface Change {
  request: RequestEntry
  events: EventSummary[]
  sessions: SessionSummary[]
  dropped: Dropped
}

/** How much the record keeps. */
export interface RecordLimits {
  maxEvents: number
  /** Estimated heap bytes of the events kept and what the record holds of each (see record-store.ts). */
  maxBytes: number
  maxRequests: number
}

const maxDuplicatesListed = 20

/** What a request is logged with: the arrival, less what only the record reads of it. */
type Logged = Omit<Arrival, 'route' | 'carried' | 'stored'>

/**
 * Files the events a request carried (their last `maxEvents`), each with this request among its attempts.
 * Returns the ids it touched, and those the store did not hold before.
 */
function fileCarried(store: Store, maxEvents: number, request: RequestEntry, { carried, stored, route }: Arrival) {
  const storedIds = new Set(stored.map((event) => event.event_id))
  const touched = new Set<string>()
  const fresh = new Set<string>()
  // A body of more events than the record keeps: only its last ones can be shown, and reading the others
  // (a 2 MiB body holds 700,000 empty events) would block the server for seconds.
  for (let index = Math.max(0, carried.length - maxEvents); index < carried.length; index++) {
    const event = carried[index]
    const id =
      typeof event.event_id === 'string'
        ? event.event_id
        : (stored[index]?.event_id ?? `request-${request.id}-${index}`)
    let kept = store.events.get(id)
    if (!kept) {
      const summary = {
        event_id: id,
        session_id: String(event.session_id ?? ''),
        route,
        received: request.at,
        stored: 0,
        updates: 0,
        beacon: false,
        attempts: [],
        ...readEvent(event, route),
      }
      kept = store.keep(id, summary, event)
      fresh.add(id)
    }
    if (!touched.has(id)) {
      store.attempt(kept, {
        request: request.id,
        status: request.status,
        stored: storedIds.has(id),
        beacon: request.beacon,
        ...(request.fault && { fault: request.fault }),
      })
    }
    touched.add(id)
    store.place(id, kept.summary.session_id)
  }
  return { touched, fresh }
}

/**
 * Takes the first stored copy of each event as the one shown, and counts the copies stored again as duplicates
 * on `request`. Returns the sessions events moved out of.
 */
function fileStored(store: Store, request: RequestEntry, stored: ModelEvent[]) {
  const moved = new Set<string>()
  for (const event of stored) {
    const id = event.event_id!
    const kept = store.events.get(id)
    if (!kept) continue
    if (kept.summary.stored++ > 0) {
      if (request.duplicateCount++ < maxDuplicatesListed) request.duplicates.push(ownText(id, 100))
      continue
    }
    // The first stored copy is the one shown: ids filled in and the session the request made, if it made one.
    moved.add(kept.summary.session_id)
    store.sessions.get(kept.summary.session_id)?.delete(id)
    Object.assign(
      kept.summary,
      { session_id: String(event.session_id ?? ''), beacon: request.beacon },
      readEvent(event, kept.summary.route),
    )
    store.recount(kept, event)
    store.place(id, kept.summary.session_id)
  }
  return moved
}

/**
 * The inspector's memory: events by session (record-store.ts) and the request log, bounded. Over `maxEvents`
 * or `maxBytes` it drops the least recently active session whole (its events, and with them what duplicate
 * detection knows of their ids); a single session over the bound loses its oldest events. The log keeps the
 * last `maxRequests` requests.
 */
export function createRecord(limits: RecordLimits) {
  const store = createStore(limits)
  const { events, sessions, summaries } = store
  const log: RequestEntry[] = []
  let seq = 0

  /** Adds a request to the log, which keeps the last `maxRequests`. */
  function logRequest({ note, ...arrival }: Logged, carried: number, stored: number): RequestEntry {
    const request: RequestEntry = {
      id: ++seq,
      ...arrival,
      ...(note && { note: ownText(note, 1000) }),
      events: carried,
      stored,
      duplicates: [],
      duplicateCount: 0,
    }
    log.push(request)
    if (log.length > limits.maxRequests) log.shift()
    return request
  }

  function add(arrival: Arrival): Change {
    const { carried, stored, route: _route, ...logged } = arrival
    const request = logRequest(logged, carried.length, stored.length)
    const { touched, fresh } = fileCarried(store, limits.maxEvents, request, arrival)
    const moved = fileStored(store, request, stored)
    const dropped: Dropped = { sessions: [], events: [] }
    store.dropEmptied(moved, dropped)
    store.shrink(dropped, fresh)
    const live = [...touched].filter((id) => events.has(id)).map((id) => events.get(id)!.summary)
    const changed = new Set([
      ...live.map((event) => event.session_id),
      ...[...moved].filter((session) => sessions.has(session)),
    ])
    return {
      request,
      events: live,
      sessions: [...changed].map((session) => summarizeSession(session, summaries(session))),
      dropped,
    }
  }

  /**
   * Logs an event-update request; `applied` (an update answered 200) is merged into the kept event as
   * HoneyHive merges it (fake-update.ts), and the event's summary (feedback, outputs, times) read again.
   */
  function update(arrival: Logged, applied?: ReadUpdate): Change {
    const request = logRequest(arrival, applied ? 1 : 0, applied ? 1 : 0)
    const kept = applied && events.get(applied.event_id)
    const change: Change = { request, events: [], sessions: [], dropped: { sessions: [], events: [] } }
    if (!kept) return change
    applyUpdate(kept.event as Record<string, unknown>, applied.update)
    Object.assign(kept.summary, readEvent(kept.event, kept.summary.route), { updates: kept.summary.updates + 1 })
    store.recount(kept)
    store.place(applied.event_id, kept.summary.session_id)
    store.shrink(change.dropped, new Set())
    if (!events.has(applied.event_id)) return change
    change.events.push(kept.summary)
    change.sessions.push(summarizeSession(kept.summary.session_id, summaries(kept.summary.session_id)))
    return change
  }

  const listSessions = () =>
    [...sessions.keys()]
      .map((session) => summarizeSession(session, summaries(session)))
      .sort((a, b) => b.first - a.first)

  return {
    add,
    update,
    /** Whether an event with this id is kept and was stored (what an update may change). */
    isStored: (id: string) => (events.get(id)?.summary.stored ?? 0) > 0,
    /** Sessions, newest (by first arrival) first. */
    sessions: listSessions,
    /** A session's events (every event without one), in order of start. */
    events: (session?: string): EventSummary[] =>
      (session === undefined ? [...events.values()].map((kept) => kept.summary) : summaries(session)).sort(
        (a, b) => (a.start ?? a.received) - (b.start ?? b.received),
      ),
    event(id: string): EventDetail | undefined {
      const kept = events.get(id)
      if (!kept) return undefined
      return {
        summary: kept.summary,
        received: kept.event,
        ...(kept.summary.route !== v1Route && { v1: toV1Event(kept.event) }),
      }
    },
    requests: (): RequestEntry[] => [...log],
    /** Counts, for the page's header. */
    size: () => ({ events: events.size, sessions: sessions.size, bytes: store.bytes() }),
  }
}
