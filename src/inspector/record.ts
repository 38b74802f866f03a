import { toV1Event, v1Route, type Route } from '../routes.js'
import type { ModelEvent } from '../schema.js'
import { applyUpdate, type ReadUpdate } from '../fake-update.js'
import { ownText, retainedBytes } from './retained.js'
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
  dropped: { sessions: string[]; events: string[] }
}

/** How much the record keeps. */
export interface RecordLimits {
  maxEvents: number
  /** Estimated heap bytes of the events kept and what the record holds of each (see retained.ts). */
  maxBytes: number
  maxRequests: number
}

interface Kept {
  summary: EventSummary
  event: ModelEvent
  bytes: number
}

const maxAttempts = 50
const maxDuplicatesListed = 20
// What the record holds of an event beyond the event itself (its summary, map and set entries), and of each
// attempt listed on it, in estimated heap bytes: counted so that many tiny events are bounded too.
const eventOverhead = 1024
const attemptBytes = 128

/**
 * The inspector's memory: events by session and the request log, bounded. Over `maxEvents` or `maxBytes`
 * it drops the least recently active session whole (its events, and with them what duplicate detection
 * knows of their ids); a single session over the bound loses its oldest events. The log keeps the last
 * `maxRequests` requests.
 */
export function createRecord(limits: RecordLimits) {
  const events = new Map<string, Kept>()
  // Least recently active first: a session moves to the end each time it receives an event.
  const sessions = new Map<string, Set<string>>()
  const log: RequestEntry[] = []
  let bytes = 0
  let seq = 0
  let last: string | undefined

  const place = (id: string, session: string) => {
    const ids = sessions.get(session) ?? new Set<string>()
    // Already the most recent: moving it again would only leave holes in the map.
    if (last !== session || !sessions.has(session)) {
      sessions.delete(session)
      sessions.set(session, ids)
      last = session
    }
    ids.add(id)
  }
  const forget = (id: string) => {
    const kept = events.get(id)
    if (!kept) return
    events.delete(id)
    bytes -= kept.bytes
    sessions.get(kept.summary.session_id)?.delete(id)
  }
  const over = () => events.size > limits.maxEvents || bytes > limits.maxBytes
  const summaries = (session: string) => [...(sessions.get(session) ?? [])].map((id) => events.get(id)!.summary)
  const cost = (event: ModelEvent) => eventOverhead + retainedBytes(event, limits.maxBytes)

  /** Drops the least recently active sessions whole, or the oldest events of the last one, until within the bounds. */
  function shrink(dropped: Change['dropped'], fresh: Set<string>) {
    // One iterator for the whole pass: re-reading a Map's or Set's front after deletes skips every hole left
    // before it, which made a large body quadratic.
    const order = sessions.entries()
    while (over()) {
      const [session, ids] = order.next().value!
      if (sessions.size > 1) {
        for (const id of ids) forget(id)
      } else {
        for (const id of ids) {
          if (!over()) break
          forget(id)
          // The page never saw the events this request brought: only those it shows need naming.
          if (!fresh.has(id)) dropped.events.push(id)
        }
        if (ids.size > 0) break
      }
      sessions.delete(session)
      dropped.sessions.push(session)
    }
  }

  function add({ carried, stored, route, note, ...arrival }: Arrival): Change {
    const request: RequestEntry = {
      id: ++seq,
      ...arrival,
      ...(note && { note: ownText(note, 1000) }),
      events: carried.length,
      stored: stored.length,
      duplicates: [],
      duplicateCount: 0,
    }
    log.push(request)
    if (log.length > limits.maxRequests) log.shift()
    const storedIds = new Set(stored.map((event) => event.event_id))
    const touched = new Set<string>()
    const moved = new Set<string>()
    const fresh = new Set<string>()
    // A body of more events than the record keeps: only its last ones can be shown, and reading the others
    // (a 2 MiB body holds 700,000 empty events) would block the server for seconds.
    for (let index = Math.max(0, carried.length - limits.maxEvents); index < carried.length; index++) {
      const event = carried[index]
      const id =
        typeof event.event_id === 'string'
          ? event.event_id
          : (stored[index]?.event_id ?? `request-${request.id}-${index}`)
      let kept = events.get(id)
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
        kept = { summary, event, bytes: cost(event) }
        events.set(id, kept)
        fresh.add(id)
        bytes += kept.bytes
      }
      if (!touched.has(id) && kept.summary.attempts.length < maxAttempts) {
        kept.summary.attempts.push({
          request: request.id,
          status: request.status,
          stored: storedIds.has(id),
          beacon: request.beacon,
          ...(request.fault && { fault: request.fault }),
        })
        kept.bytes += attemptBytes
        bytes += attemptBytes
      }
      touched.add(id)
      place(id, kept.summary.session_id)
    }
    for (const event of stored) {
      const id = event.event_id!
      const kept = events.get(id)
      if (!kept) continue
      if (kept.summary.stored++ > 0) {
        if (request.duplicateCount++ < maxDuplicatesListed) request.duplicates.push(ownText(id, 100))
        continue
      }
      // The first stored copy is the one shown: ids filled in and the session the request made, if it made one.
      moved.add(kept.summary.session_id)
      sessions.get(kept.summary.session_id)?.delete(id)
      Object.assign(
        kept.summary,
        { session_id: String(event.session_id ?? ''), beacon: request.beacon },
        readEvent(event, kept.summary.route),
      )
      const size = cost(event) + kept.summary.attempts.length * attemptBytes
      bytes += size - kept.bytes
      Object.assign(kept, { event, bytes: size })
      place(id, kept.summary.session_id)
    }
    const dropped = { sessions: [] as string[], events: [] as string[] }
    for (const session of moved) {
      if (sessions.get(session)?.size !== 0) continue
      sessions.delete(session)
      dropped.sessions.push(session)
    }
    shrink(dropped, fresh)
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
  function update(arrival: Omit<Arrival, 'route' | 'carried' | 'stored'>, applied?: ReadUpdate): Change {
    const { note, ...rest } = arrival
    const request: RequestEntry = {
      id: ++seq,
      ...rest,
      ...(note && { note: ownText(note, 1000) }),
      events: applied ? 1 : 0,
      stored: applied ? 1 : 0,
      duplicates: [],
      duplicateCount: 0,
    }
    log.push(request)
    if (log.length > limits.maxRequests) log.shift()
    const kept = applied && events.get(applied.event_id)
    const change: Change = { request, events: [], sessions: [], dropped: { sessions: [], events: [] } }
    if (!kept) return change
    applyUpdate(kept.event as Record<string, unknown>, applied.update)
    Object.assign(kept.summary, readEvent(kept.event, kept.summary.route), { updates: kept.summary.updates + 1 })
    const size = cost(kept.event) + kept.summary.attempts.length * attemptBytes
    bytes += size - kept.bytes
    kept.bytes = size
    place(applied.event_id, kept.summary.session_id)
    shrink(change.dropped, new Set())
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
    size: () => ({ events: events.size, sessions: sessions.size, bytes }),
  }
}
