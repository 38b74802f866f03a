import { byteLength, encodeEvent } from './encode.js'
import { DroppedError, type HoneyHiveError } from './errors.js'
import { randomId } from './ids.js'
import type { Entry } from './queue.js'

// Leftovers kept in localStorage per page and target, in UTF-16 units (localStorage holds ~5M per origin).
const storeChars = 1024 * 1024

/** An event as stored: its JSON parsed back. */
export type StoredEvent = { event_id: string; session_id?: string; $update?: { event_id: string } }

/**
 * The localStorage side of page hide for one client: events a hide could not send, kept for the next page.
 *
 * Each store writes a new key (`honeyhive-edge:<batch URL>:<page id>:<n>`) once, and the page that wrote it
 * never reads it back to append; a new page claims every key of its target but its own. Why: in Chromium
 * each tab reads localStorage from its own copy, updated asynchronously, so a store that appended to its
 * page's key could write back events another tab had just claimed (sent twice), or lose its own to the late
 * removal: 604 events were stored 698 times (issue 22, item 5). A Web Lock cannot cover a store (it is
 * granted asynchronously, and a hidden page may be gone by then). A write-once key is claimed whole (one
 * setItem wrote it) by one claim, as claims run under the lock, and no store touches it again.
 * Never holds the API key.
 */
export function createLeftovers(batchUrl: string, report: (error: HoneyHiveError) => void) {
  const prefix = `honeyhive-edge:${batchUrl}`
  const key = `${prefix}:${randomId()}`
  // This page's keys not yet seen claimed, and how many stores it made (a key is never reused).
  let mine: string[] = []
  let stores = 0

  /** The events stored under `name`; null when it is gone (claimed elsewhere). A broken entry is removed. */
  function read(name: string): StoredEvent[] | null {
    const text = localStorage.getItem(name)
    if (text === null) return null
    try {
      return JSON.parse(text) as StoredEvent[]
    } catch (cause) {
      // A broken entry (another library, a manual edit) loses what it held: say so, once.
      localStorage.removeItem(name)
      report(new DroppedError('storage', 'Unreadable events in localStorage', [], cause))
      return []
    }
  }
  /** Removes `name` and returns its events; null when it is gone. */
  function remove(name: string): StoredEvent[] | null {
    const events = read(name)
    localStorage.removeItem(name)
    return events
  }

  return {
    /** The Web Lock name claims of this target share. */
    lock: prefix,
    /** Writes `entries` under a new key, as many as fit in what this page's unclaimed keys leave. */
    save(entries: Entry[]): { name?: string; left: Entry[]; cause?: unknown } {
      let kept = 0
      try {
        // What a claim took no longer counts against the page.
        let room = storeChars
        mine = mine.filter((name) => {
          const length = localStorage.getItem(name)?.length
          room -= length ?? 0
          return length !== undefined
        })
        let text = ''
        for (; kept < entries.length && text.length + entries[kept].json.length + 16 <= room; kept++) {
          // An event update (feedback) is stored as `{ $update }` beside the events.
          const { update, json } = entries[kept]
          text += (text && ',') + (update ? `{"$update":${json}}` : json)
        }
        if (kept === 0) return { left: entries }
        const name = `${key}:${++stores}`
        localStorage.setItem(name, `[${text}]`)
        mine.push(name)
        return { name, left: entries.slice(kept) }
      } catch (cause) {
        return { left: entries, cause }
      }
    },
    /** Takes back this page's keys `names`, in order: those another tab claimed meanwhile are gone (sent there). */
    take(names: string[]): StoredEvent[] {
      try {
        return names.flatMap((name) => remove(name) ?? [])
      } catch {
        // Storage gone meanwhile: nothing to take.
        return []
      }
    },
    /**
     * Removes and returns what other pages of this target stored, never this page's own keys (that is for the
     * next page): whole keys while their events fit in `room` (the first one also when `room` is a whole
     * empty queue); `more` when a key was left for a later claim, as a full queue would have dropped the
     * oldest, the claimed ones (two closed tabs may leave 2,000 events). Two tabs opening together do not
     * both claim a key: claims run under a Web Lock where the browser has one (secure contexts); elsewhere a
     * claim is only remove-before-send.
     */
    claim(room: number, empty: boolean): { events: StoredEvent[]; more: boolean } {
      const events: StoredEvent[] = []
      try {
        const names = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i)!)
        const theirs = names.filter(
          (name) => !name.startsWith(`${key}:`) && (name === prefix || name.startsWith(`${prefix}:`)),
        )
        // A page's stores in the order it made them (…:2 before …:10).
        for (const name of theirs.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
          const stored = read(name) ?? []
          if (events.length + stored.length > room && !(empty && events.length === 0)) return { events, more: true }
          localStorage.removeItem(name)
          events.push(...stored)
        }
      } catch {
        // No storage at all (sandboxed frame, cookies blocked): nothing to claim.
      }
      return { events, more: false }
    },
  }
}

/** A stored event back as a queue entry; an event update (feedback) is stored as `{ $update }` beside the events. */
export function fromStorage(event: StoredEvent): Entry {
  if (!event.$update) return { ...encodeEvent(event, Infinity), seq: 0 }
  const json = JSON.stringify(event.$update)
  return { id: event.$update.event_id, json, bytes: byteLength(json), truncated: false, seq: 0, update: true }
}
