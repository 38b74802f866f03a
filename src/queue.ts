import type { EncodedEvent } from './encode.js'

/** A queued event; `seq` orders events by when they were logged. */
export interface Entry extends EncodedEvent {
  seq: number
  /** Attempts that may have reached the server (see transport.ts). */
  sends?: number
  /** An update of the event `id` (its JSON is the update's body), not an event. */
  update?: boolean
  /** When an update was first sent: a 404 is tried again for a bounded time from then. */
  firstTriedAt?: number
}

/**
 * The bounded FIFO of encoded events. No I/O, no timers: the client decides when to take a batch.
 * Every method that can overflow returns the entries it dropped (always the oldest), so the caller can
 * report them.
 */
export interface Queue {
  readonly size: number
  /** `seq` of the oldest entry, or Infinity when empty. */
  readonly headSeq: number
  push(entry: Entry): Entry[]
  /** Puts entries back at the front (a batch that must be tried again). */
  requeue(entries: Entry[]): Entry[]
  /** Takes the oldest entries: at most `maxCount`, within `maxBytes` of JSON (always at least one). */
  take(maxCount: number, maxBytes: number): Entry[]
  /** Takes everything. */
  takeAll(): Entry[]
  /** The entries, oldest first, for changes in place. */
  readonly entries: Entry[]
}

export function createQueue(maxSize: number): Queue {
  let items: Entry[] = []
  // splice() takes nothing for a count of 0 or less.
  const trim = (): Entry[] => items.splice(0, items.length - maxSize)
  return {
    get size() {
      return items.length
    },
    get headSeq() {
      return items[0]?.seq ?? Infinity
    },
    push(entry) {
      items.push(entry)
      return trim()
    },
    requeue(entries) {
      items = entries.concat(items)
      return trim()
    },
    take(maxCount, maxBytes) {
      let count = 0
      let bytes = 0
      // +1 for the comma between events in the array.
      while (count < items.length && count < maxCount && (count === 0 || bytes + items[count].bytes + 1 <= maxBytes)) {
        bytes += items[count].bytes + 1
        count++
      }
      return items.splice(0, count)
    },
    takeAll() {
      const all = items
      items = []
      return all
    },
    get entries() {
      return items
    },
  }
}
