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
  /** Another page's, claimed from storage: sent in batches of its own, without this client's session fields. */
  claimed?: boolean
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
  /** The entries, oldest first (a new array of the queued objects), for changes in place. */
  readonly entries: Entry[]
}

export function createQueue(maxSize: number): Queue {
  // The oldest entry is items[head]. Taking from the front moves `head` instead of shifting the array:
  // splice(0, n) moved every waiting entry per batch, quadratic with 100,000 queued (issue 20).
  let items: Entry[] = []
  let head = 0
  const size = (): number => items.length - head
  /** Removes the `count` oldest (none for 0 or less) and returns them. */
  function shift(count: number): Entry[] {
    const taken = items.slice(head, (head += Math.max(0, count)))
    // Compacted once the taken part is as long as what is left: each entry is copied about once.
    if (head > 0 && head >= size()) {
      items = items.slice(head)
      head = 0
    }
    return taken
  }
  const trim = (): Entry[] => shift(size() - maxSize)
  return {
    get size() {
      return size()
    },
    get headSeq() {
      return items[head]?.seq ?? Infinity
    },
    push(entry) {
      items.push(entry)
      return trim()
    },
    requeue(entries) {
      items = entries.concat(items.slice(head))
      head = 0
      return trim()
    },
    take(maxCount, maxBytes) {
      let count = 0
      let bytes = 0
      // +1 for the comma between events in the array; claimed entries and this page's own never share a batch.
      while (
        count < size() &&
        count < maxCount &&
        (count === 0 ||
          (bytes + items[head + count].bytes + 1 <= maxBytes && !items[head + count].claimed === !items[head].claimed))
      ) {
        bytes += items[head + count].bytes + 1
        count++
      }
      return shift(count)
    },
    takeAll: () => shift(size()),
    // A copy: its entries are the queued objects themselves.
    get entries() {
      return items.slice(head)
    },
  }
}
