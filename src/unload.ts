import type { Delivery } from './delivery.js'
import { byteLength, encodeEvent } from './encode.js'
import { DroppedError, HttpError, type HoneyHiveError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import type { Entry } from './queue.js'
import { batchBody } from './transport.js'

/** What the page-hide module needs from the client. */
export interface PageContext {
  options: ResolvedOptions
  /** The batch's session fields as JSON members (`,"single_session":true`), or ''. */
  tail: string
  delivery: Delivery
  report: (error: HoneyHiveError) => void
  debug: (message: string) => void
}

/** The page-hide hooks of one client, in browsers only. */
export interface PageHooks {
  /** Whether an ordinary batch of `bytes` may use `keepalive`; returns a release callback when it may. */
  keepalive(bytes: number): (() => void) | undefined
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
export function watchPageHide({ options, tail, delivery, report, debug }: PageContext): PageHooks | undefined {
  const doc = globalThis.document
  if (!doc?.addEventListener || !globalThis.addEventListener) return undefined
  // One key per target, shared by the origin's tabs; never holds the API key.
  const key = `honeyhive-edge:${options.batchUrl}`
  const envelope = byteLength(batchBody([], tail))
  const ids = (entries: Entry[]): string[] => entries.map((entry) => entry.id)
  const lost = (entries: Entry[], cause?: unknown): void =>
    delivery.reject(new DroppedError('storage', 'Page hidden: events neither sent nor stored', ids(entries), cause))
  // Beacons cannot carry headers (field notes §2): with an apiKey and no beaconUrl, a keepalive fetch does.
  const beaconUrl = options.beaconUrl ?? (options.apiKey ? undefined : options.batchUrl)
  let inFlight = 0

  /** Posts `chunk` without waiting, halving it while the browser refuses (or throws: a bad beaconUrl); returns what could not go. */
  function send(chunk: Entry[]): Entry[] {
    if (chunk.length === 0) return chunk
    const body = batchBody(chunk, tail)
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

  /** Appends leftovers to storage, as many as fit; reports the rest. */
  function store(entries: Entry[]): void {
    let kept = 0
    try {
      let text = localStorage.getItem(key)?.slice(1, -1) || ''
      for (; kept < entries.length && text.length + entries[kept].json.length + 3 <= storeChars; kept++) text += (text && ',') + entries[kept].json
      if (kept > 0) localStorage.setItem(key, `[${text}]`)
    } catch (cause) {
      return lost(entries, cause)
    }
    // Over storeChars: no cause to give.
    if (kept < entries.length) lost(entries.slice(kept))
  }

  // Closing a tab fires pagehide then visibilitychange (field notes §2): the first takes the queue, so the
  // second finds it empty and sends nothing; events logged while the page stayed hidden go with the next.
  function onHide(): void {
    const entries = delivery.takeAll()
    if (entries.length === 0) return
    let fit = 0
    for (let budget = hideBytes - inFlight - envelope; fit < entries.length && (budget -= entries[fit].bytes + 1) >= 0; ) fit++
    const unsent = send(entries.slice(0, fit)).concat(entries.slice(fit))
    if (unsent.length > 0) store(unsent)
    debug(`hidden: ${unsent.length}/${entries.length} stored`)
  }
  const onVisibility = (): void => void (doc.visibilityState === 'hidden' && onHide())

  // Leftovers of an earlier page: claimed (removed) before sending, so another tab does not send them too,
  // then put first in the queue and flushed now, whatever flushAt says.
  let text: string | null | undefined
  try {
    text = localStorage.getItem(key)
    if (text) {
      localStorage.removeItem(key)
      delivery.requeue((JSON.parse(text) as Array<{ event_id: string }>).map((event) => ({ ...encodeEvent(event, Infinity), seq: 0 })))
      setTimeout(delivery.flush)
    }
  } catch (cause) {
    // No storage at all (sandboxed frame, cookies blocked) loses nothing here; a broken entry does.
    if (text) report(new DroppedError('storage', 'Unreadable events in localStorage', [], cause))
  }

  doc.addEventListener('visibilitychange', onVisibility)
  addEventListener('pagehide', onHide)
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
    stop() {
      doc.removeEventListener('visibilitychange', onVisibility)
      removeEventListener('pagehide', onHide)
    },
  }
}
