import { DroppedError, type HoneyHiveError } from './errors.js'
import type { Entry } from './queue.js'
import type { Clock } from './scheduler.js'

/** Running totals since the client was created. */
export interface Stats {
  /** Events (and event updates) waiting, including those in flight. */
  queued: number
  /** Events (and updates) the server accepted. */
  sent: number
  /** Events the server refused for good (a 4xx other than 408/429, or 413 for a single event). */
  failed: number
  /** Events the client gave up on without a server verdict: invalid, queue overflow, beforeSend threw, sent too often, shutdown. */
  dropped: number
  /** Requests sent again after a retryable failure. */
  retried: number
}

/** What one `flush()` did with the events queued when it was called: sent, failed, dropped; and what is still queued. */
export interface FlushResult {
  sent: number
  failed: number
  dropped: number
  queued: number
}

/** Where an event ends: accepted, refused by the server, or given up by the client. */
export type Bucket = 'sent' | 'failed' | 'dropped'
/** A running flush()'s count of the events queued (up to `last`) when it was called. */
export type Watch = Record<Bucket, number> & { last: number }

export const idsOf = (entries: Entry[]): string[] => entries.map((entry) => entry.id)

/**
 * The engine's books: running totals, the counts of each running flush(), and reporting of what is given
 * up. Events a full queue pushes out are counted at once and reported once per task: in an outage every
 * log() pushes one out, and one error per call would flood onError.
 */
export function createLedger(report: (error: HoneyHiveError) => void, clock: Clock) {
  const totals: Stats = { queued: 0, sent: 0, failed: 0, dropped: 0, retried: 0 }
  const watches = new Set<Watch>()
  const overflow: string[] = []

  function count(bucket: Bucket, entries: Entry[]): void {
    totals[bucket] += entries.length
    for (const watch of watches) for (const entry of entries) if (entry.seq <= watch.last) watch[bucket]++
  }
  return {
    totals,
    count,
    /** Counts and reports events given up on: by the client (`dropped`) or refused by the server (`failed`). */
    reject(error: HoneyHiveError, bucket: Bucket = 'dropped', entries?: Entry[], quiet?: boolean): void {
      if (entries) count(bucket, entries)
      else totals[bucket] += error.eventIds.length
      if (!quiet) report(error)
    },
    dropOverflow(entries: Entry[]): void {
      if (entries.length === 0) return
      count('dropped', entries)
      const reportPending = overflow.length > 0
      overflow.push(...idsOf(entries))
      // A timer, not a microtask: an onError that logs again must not starve the page or process.
      const message = 'queue full: oldest events dropped; raise maxQueueSize'
      if (!reportPending) clock.setTimeout(() => report(new DroppedError('queue_full', message, overflow.splice(0))), 0)
    },
    /** Starts counting for a flush() of what was queued up to `last`. */
    watch(last: number): Watch {
      const watch: Watch = { last, sent: 0, failed: 0, dropped: 0 }
      watches.add(watch)
      return watch
    },
    unwatch(watch: Watch): Omit<FlushResult, 'queued'> {
      watches.delete(watch)
      const { sent, failed, dropped } = watch
      return { sent, failed, dropped }
    },
  }
}

export type Ledger = ReturnType<typeof createLedger>
