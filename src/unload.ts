import type { Delivery } from './delivery.js'
import { byteLength, encodeEvent } from './encode.js'
import { DroppedError, HttpError, type HoneyHiveError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import { randomId } from './ids.js'
import type { Entry } from './queue.js'
import { batchBody, updateTarget } from './transport.js'

/** The page-hide hooks of one client, in browsers only. */
export interface PageHooks {
  /** Whether an ordinary batch of `bytes` may use `keepalive`; returns a release callback when it may. */
  keepalive(bytes: number): (() => void) | undefined
  /** Called after each queued event: while the page is hidden it goes out at once, as a hide sends. */
  logged(): void
  /** Removes listeners (called by `shutdown()`). */
  stop(): void
  /** Connects the client's delivery engine, and resends what earlier pages left in storage. */
  attach(delivery: Delivery): void
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
export function watchPageHide(
  options: ResolvedOptions,
  report: (error: HoneyHiveError) => void,
  debug: (message: string) => void,
): PageHooks | undefined {
  const doc = globalThis.document
  if (!doc?.addEventListener || !globalThis.addEventListener) return undefined
  let delivery!: Delivery
  // Leftovers are stored under one key per target and page, so that tabs storing at once never overwrite
  // each other; a new page claims every key of its target. Never holds the API key.
  const prefix = `honeyhive-edge:${options.batchUrl}`
  const key = `${prefix}:${randomId()}`
  // The frame's size while it still carries the session fields: the largest it gets (set by attach()).
  let envelope = 0
  // A batch in flight that carries the session fields keeps them to itself: a beacon with them too would make
  // a second session of one conversation (issue 22).
  const frame = () => (delivery.sessionInFlight ? delivery.session.plainFrame : delivery.session.frame)
  const base = options.batchUrl.slice(0, -options.route.length)
  const ids = (entries: Entry[]): string[] => entries.map((entry) => entry.id)
  const lost = (entries: Entry[], cause?: unknown): void =>
    delivery.reject(new DroppedError('storage', 'Page hidden: events neither sent nor stored', ids(entries), cause))
  // Beacons cannot carry headers (field notes §2): with an apiKey and no beaconUrl, a keepalive fetch does.
  const beaconUrl = options.beaconUrl ?? (options.apiKey ? undefined : options.batchUrl)
  let inFlight = 0

  /** Posts `chunk` without waiting, halving it while the browser refuses (or throws: a bad beaconUrl); returns what could not go. */
  function send(chunk: Entry[]): Entry[] {
    if (chunk.length === 0) return chunk
    // An event update (feedback) goes alone, as its own body.
    const body = chunk[0].update ? chunk[0].json : batchBody(chunk, frame())
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
    const target = chunk[0].update ? updateTarget(base, options.route, JSON.parse(body), false) : undefined
    if (target) body = JSON.stringify(target.body)
    void (options.fetch ?? fetch)(target?.url ?? options.batchUrl, { method: target?.method.toUpperCase() ?? 'POST', keepalive: true, headers, body })
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
      for (; kept < entries.length && text.length + entries[kept].json.length + 16 <= storeChars; kept++) {
        const { update, json } = entries[kept]
        text += (text && ',') + (update ? `{"$update":${json}}` : json)
      }
      if (kept > 0) localStorage.setItem(key, `[${text}]`)
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
    // Chunks within the limits a 413 taught (a relay's maxEvents, a proxy's body size: beacons cannot see a
    // 413), each with its envelope, while the quota lasts; an update is a chunk of its own.
    let fit = 0
    const chunks: Entry[][] = []
    let chunkBytes = Infinity
    for (let budget = hideBytes - inFlight; fit < entries.length; fit++) {
      const { update, bytes } = entries[fit]
      const last = chunks[chunks.length - 1]
      const fresh = !last || update || last[0].update || last.length >= delivery.batchCount || chunkBytes + bytes + 1 > delivery.batchBytes
      if ((budget -= bytes + 1 + (fresh ? envelope : 0)) < 0) break
      if (fresh) {
        chunks.push([])
        chunkBytes = 0
      }
      chunks[chunks.length - 1].push(entries[fit])
      chunkBytes += bytes + 1
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
        if (name === key || (name !== prefix && !name.startsWith(`${prefix}:`))) continue
        text = localStorage.getItem(name)
        localStorage.removeItem(name)
        const stored = JSON.parse(text!) as Array<{ event_id: string; $update?: { event_id: string } }>
        delivery.requeue(
          stored.map((item) => {
            if (!item.$update) return { ...encodeEvent(item, Infinity), seq: 0 }
            const json = JSON.stringify(item.$update)
            return { id: item.$update.event_id, json, bytes: byteLength(json), truncated: false, seq: 0, update: true }
          }),
        )
        setTimeout(delivery.flush)
      }
    } catch (cause) {
      // No storage at all (sandboxed frame, cookies blocked) loses nothing here; a broken entry does.
      if (text) report(new DroppedError('storage', 'Unreadable events in localStorage', [], cause))
    }
  }
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
    attach(engine) {
      delivery = engine
      envelope = byteLength(batchBody([], delivery.session.frame))
      const locks = (navigator as { locks?: { request(name: string, callback: () => void): Promise<unknown> } }).locks
      if (locks) void locks.request(prefix, claim).catch(claim)
      else claim()
    },
    stop() {
      stopped = true
      doc.removeEventListener('visibilitychange', onVisibility)
      removeEventListener('pagehide', onHide)
      removeEventListener('pageshow', onShow)
    },
  }
}
