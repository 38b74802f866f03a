// The inspector record's bounded store: the events it keeps, grouped by session, with their estimated heap
// bytes, and the eviction that keeps both within the bounds. The request log and what a request changed are
// record.ts's.
import type { ModelEvent } from '../schema.js'
import { retainedBytes } from './retained.js'
import type { EventSummary } from './summary.js'

/** An event as the store keeps it: its summary, the event itself, and what both cost on the heap. */
export interface Kept {
  summary: EventSummary
  event: ModelEvent
  bytes: number
}

/** What eviction took away that the page had shown: sessions whole, and single events. */
export interface Dropped {
  sessions: string[]
  events: string[]
}

// What the record holds of an event beyond the event itself (its summary, map and set entries), and of each
// attempt listed on it, in estimated heap bytes: counted so that many tiny events are bounded too.
const eventOverhead = 1024
const attemptBytes = 128
// Attempts listed on one event; later ones are not listed.
const maxAttempts = 50

/**
 * Events by session, bounded by `maxEvents` and `maxBytes` (estimated heap bytes, see retained.ts). `shrink`
 * drops the least recently active session whole (its events, and with them what duplicate detection knows of
 * their ids); a single session over the bound loses its oldest events.
 */
export function createStore(limits: { maxEvents: number; maxBytes: number }) {
  const events = new Map<string, Kept>()
  // Least recently active first: a session moves to the end each time it receives an event.
  const sessions = new Map<string, Set<string>>()
  let bytes = 0
  let last: string | undefined

  const cost = (event: ModelEvent) => eventOverhead + retainedBytes(event, limits.maxBytes)
  const over = () => events.size > limits.maxEvents || bytes > limits.maxBytes
  const forget = (id: string) => {
    const kept = events.get(id)
    if (!kept) return
    events.delete(id)
    bytes -= kept.bytes
    sessions.get(kept.summary.session_id)?.delete(id)
  }
  /** Sets what `kept` costs to `size`, keeping the total right. */
  const resize = (kept: Kept, size: number) => {
    bytes += size - kept.bytes
    kept.bytes = size
  }

  /** Drops the least recently active sessions whole, or the oldest events of the last one, until within the bounds. */
  function shrink(dropped: Dropped, fresh: Set<string>) {
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

  return {
    events,
    sessions,
    shrink,
    /** Lists an attempt on `kept` (the first `maxAttempts` only), counting what it costs. */
    attempt(kept: Kept, attempt: EventSummary['attempts'][number]) {
      if (kept.summary.attempts.length >= maxAttempts) return
      kept.summary.attempts.push(attempt)
      resize(kept, kept.bytes + attemptBytes)
    },
    /** Drops those of `moved` that have no event left (their events moved to the session their request made). */
    dropEmptied(moved: Set<string>, dropped: Dropped) {
      for (const session of moved) {
        if (sessions.get(session)?.size !== 0) continue
        sessions.delete(session)
        dropped.sessions.push(session)
      }
    },
    /** Keeps a new event under `id`, counting what it costs. */
    keep(id: string, summary: EventSummary, event: ModelEvent): Kept {
      const kept = { summary, event, bytes: cost(event) }
      events.set(id, kept)
      bytes += kept.bytes
      return kept
    },
    /** Counts `kept` again with `event` (by default its own, changed in place) and the attempts listed on it. */
    recount(kept: Kept, event = kept.event) {
      kept.event = event
      resize(kept, cost(event) + kept.summary.attempts.length * attemptBytes)
    },
    /** Files `id` under `session` and makes that session the most recently active. */
    place(id: string, session: string) {
      const ids = sessions.get(session) ?? new Set<string>()
      // Already the most recent: moving it again would only leave holes in the map.
      if (last !== session || !sessions.has(session)) {
        sessions.delete(session)
        sessions.set(session, ids)
        last = session
      }
      ids.add(id)
    },
    /** The summaries of a session's events, in the order they were filed. */
    summaries: (session: string) => [...(sessions.get(session) ?? [])].map((id) => events.get(id)!.summary),
    /** The estimated heap bytes kept. */
    bytes: () => bytes,
  }
}

/** The store `createStore` makes. */
export type Store = ReturnType<typeof createStore>
