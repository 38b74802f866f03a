import type { Delivery } from './delivery.js'
import { byteLength, encodeEvent } from './encode.js'
import { DroppedError, HttpError, type HoneyHiveError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import { randomId } from './ids.js'
import type { Entry } from './queue.js'
import { batchBody } from './transport.js'

/** What the page-hide module needs from the client. */
export interface PageContext {
  options: ResolvedOptions
  delivery: Delivery
  report: (error: HoneyHiveError) => void
  debug: (message: string) => void
}

/** The page-hide hooks of one client, in browsers only. */
export interface PageHooks {
  /** Whether an ordinary batch of `bytes` may use `keepalive`; returns a release callback when it may. */
  keepalive(bytes: number): (() => void) | undefined
  /** Called after each queued event: while the page is hidden it goes out at once, as a hide sends. */
  logged(): void
  /** Removes listeners (called by `shutdown()`). */
  stop(): void
}

// Every sendBeacon and keepalive fetch of a page shares one 64 KiB in-flight quota (field notes §2), and
// the page's other scripts spend it too: a hide sends at most this much, minus our own keepalive batches.
const hideBytes = 60_000
// Ordinary batches use keepalive only while ours in flight stay under this, leaving room for a hide.
const keepaliveBytes = 48 * 1024
// Leftovers kept in localStorage per target, in UTF-16 units (localStorage holds ~5M per origin).
const storeChars = 1024 * 1024

/**
 * In browsers (where `document` and `addEventListener` exist): drains the queue when the page is hidden
 * and resends what a previous page left in storage. Elsewhere returns undefined and does nothing.
 */
export function watchPageHide({ options, delivery, report, debug }: PageContext): PageHooks | undefined {
  const doc = globalThis.document
  if (!doc?.addEventListener || !globalThis.addEventListener) return undefined
  // Leftovers are stored under a new key per store (`<prefix>:<page id>:<n>`), written once and never read back
  // by the page that wrote it; a new page claims every key of its target but its own. Never holds the API key.
  // Why write-once: a store that appended to its page's key read that key, and in Chromium each tab reads
  // localStorage from its own copy, updated asynchronously. A claim in another tab could take (remove) the
  // key between that read and the write, and the write then brought the claimed events back (sent twice) or
  // the late removal erased the new ones (lost): 604 events were stored 698 times (issue 22, item 5). A Web
  // Lock cannot cover a store: it is granted asynchronously, and a hidden page may be gone before then. With
  // write-once keys a store never touches what a claim may hold: each key is claimed whole (one setItem
  // wrote it) by exactly one claim, as claims run under the lock.
  const prefix = `honeyhive-edge:${options.batchUrl}`
  const key = `${prefix}:${randomId()}`
  // This page's keys not yet seen claimed, and how many stores it made (a key is never reused).
  let mine: string[] = []
  let stores = 0
  // The frame's size while it still carries the session fields: the largest it gets.
  const envelope = byteLength(batchBody([], delivery.frame))
  const ids = (entries: Entry[]): string[] => entries.map((entry) => entry.id)
  const lost = (entries: Entry[], cause?: unknown): void =>
    delivery.reject(new DroppedError('storage', 'Page hidden: events neither sent nor stored', ids(entries), cause))
  // Beacons cannot carry headers (field notes §2): with an apiKey and no beaconUrl, a keepalive fetch does.
  const beaconUrl = options.beaconUrl ?? (options.apiKey ? undefined : options.batchUrl)
  let inFlight = 0

  /** Posts `chunk` without waiting, halving it while the browser refuses (or throws: a bad beaconUrl); returns what could not go. */
  function send(chunk: Entry[]): Entry[] {
    if (chunk.length === 0) return chunk
    const body = batchBody(chunk, delivery.frame)
    try {
      // text/plain: an application/json beacon needs a preflight and is dropped cross-origin while
      // sendBeacon still returns true (field notes §2). The receiver parses the body as JSON.
      if (beaconUrl ? navigator.sendBeacon(beaconUrl, new Blob([body], { type: 'text/plain' })) : keepaliveFetch(chunk, body)) return []
    } catch {}
    if (chunk.length === 1) return chunk
    const half = Math.ceil(chunk.length / 2)
    const unsent = send(chunk.slice(0, half))
    return unsent.length > 0 ? unsent.concat(chunk.slice(half)) : send(chunk.slice(half))
  }

  function keepaliveFetch(chunk: Entry[], body: string): true {
    const headers = { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' }
    void (options.fetch ?? fetch)(options.batchUrl, { method: 'POST', keepalive: true, headers, body })
      .then((response) => {
        void response.body?.cancel()
        if (!response.ok) delivery.reject(new HttpError(response.status, undefined, ids(chunk)), 'failed')
      })
      // Over the quota keepalive rejects with a TypeError, usually after the page is gone: keep the events
      // for the next page, as for a refused beacon.
      .catch(() => store(chunk))
    return true
  }

  /** Writes leftovers to storage under a new key, as many as fit in what this page's unclaimed keys leave; reports the rest. */
  function store(entries: Entry[]): void {
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
      for (; kept < entries.length && text.length + entries[kept].json.length + 3 <= room; kept++) text += (text && ',') + entries[kept].json
      if (kept > 0) {
        const name = `${key}:${++stores}`
        localStorage.setItem(name, `[${text}]`)
        mine.push(name)
      }
    } catch (cause) {
      return lost(entries, cause)
    }
    // Over storeChars: no cause to give.
    if (kept < entries.length) lost(entries.slice(kept))
  }

  // Closing a tab fires pagehide then visibilitychange (field notes §2): the first takes the queue, so the
  // second finds it empty and sends nothing. Events logged while hidden (by the app's own pagehide handler,
  // which runs after ours) go out at once, in one send per task.
  let hidden = false
  let soon = false
  let stopped = false
  function onHide(): void {
    hidden = true
    const entries = delivery.takeAll()
    if (entries.length === 0) return
    // Chunks of at most batchCount events (a relay's maxEvents, learned from a 413, holds for beacons too,
    // which cannot see a 413), each with its envelope, while the quota lasts.
    let fit = 0
    const chunks: Entry[][] = []
    for (let budget = hideBytes - inFlight; fit < entries.length; fit++) {
      const fresh = fit % delivery.batchCount === 0
      if ((budget -= entries[fit].bytes + 1 + (fresh ? envelope : 0)) < 0) break
      if (fresh) chunks.push([])
      chunks[chunks.length - 1].push(entries[fit])
    }
    const unsent = chunks.flatMap(send).concat(entries.slice(fit))
    if (unsent.length > 0) store(unsent)
    debug(`hidden: ${unsent.length}/${entries.length} stored`)
  }
  const onVisibility = (): void => (doc.visibilityState === 'hidden' ? onHide() : onShow())
  const onShow = (): void => void (hidden = false)

  // Leftovers of earlier pages: claimed (removed) before sending, then put first in the queue and flushed
  // now, whatever flushAt says. Under a Web Lock where the browser has one (secure contexts), so that two
  // tabs opening together do not both claim them; elsewhere a claim is only remove-before-send.
  function claim(): void {
    let text: string | null | undefined
    // The lock may be granted late: a page already hidden (or a client shut down) takes nothing, and a page
    // never takes back what it stored itself (that is for the next page).
    if (hidden || stopped) return
    try {
      for (let i = localStorage.length; i--; ) {
        const name = localStorage.key(i)!
        if (name.startsWith(`${key}:`) || (name !== prefix && !name.startsWith(`${prefix}:`))) continue
        text = localStorage.getItem(name)
        localStorage.removeItem(name)
        delivery.requeue((JSON.parse(text!) as Array<{ event_id: string }>).map((event) => ({ ...encodeEvent(event, Infinity), seq: 0 })))
        setTimeout(delivery.flush)
      }
    } catch (cause) {
      // No storage at all (sandboxed frame, cookies blocked) loses nothing here; a broken entry does.
      if (text) report(new DroppedError('storage', 'Unreadable events in localStorage', [], cause))
    }
  }
  const locks = (navigator as { locks?: { request(name: string, callback: () => void): Promise<unknown> } }).locks
  if (locks) void locks.request(prefix, claim).catch(claim)
  else claim()

  doc.addEventListener('visibilitychange', onVisibility)
  addEventListener('pagehide', onHide)
  addEventListener('pageshow', onShow)
  return {
    keepalive(bytes) {
      bytes += envelope
      if (inFlight + bytes > keepaliveBytes) return undefined
      inFlight += bytes
      // Idempotent: a second call releases nothing.
      return () => {
        inFlight -= bytes
        bytes = 0
      }
    },
    logged() {
      if (!hidden || soon) return
      soon = true
      queueMicrotask(() => {
        soon = false
        onHide()
      })
    },
    stop() {
      stopped = true
      doc.removeEventListener('visibilitychange', onVisibility)
      removeEventListener('pagehide', onHide)
      removeEventListener('pageshow', onShow)
    },
  }
}
