import { chunkForHide, createBeaconSender } from './beacon.js'
import type { Delivery } from './delivery.js'
import { byteLength } from './encode.js'
import { DroppedError, type HoneyHiveError } from './errors.js'
import { createLeftovers, fromStorage, type StoredEvent } from './leftovers.js'
import type { ResolvedOptions } from './options.js'
import type { Entry } from './queue.js'
import { batchBody } from './transport.js'

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
  const leftovers = createLeftovers(options.batchUrl, report)
  // The frame's size while it still carries the session fields: the largest it gets (set by attach()).
  let envelope = 0
  const ids = (entries: Entry[]): string[] => entries.map((entry) => entry.id)
  const lost = (entries: Entry[], cause?: unknown): void =>
    delivery.reject(new DroppedError('storage', 'Page hidden: events neither sent nor stored', ids(entries), cause))
  const requeue = (events: StoredEvent[], claimed?: boolean): void =>
    delivery.requeue(events.map((event) => ({ ...fromStorage(event), claimed })))
  let inFlight = 0
  const send = createBeaconSender(
    options,
    (error) => delivery.reject(error, 'failed'),
    (chunk) => store(chunk),
  )

  /** Stores leftovers; reports what could not be stored (over 1 MiB: no cause to give). */
  function store(entries: Entry[]): void {
    const { left, cause } = leftovers.save(entries)
    if (left.length > 0) lost(left, cause)
  }

  // A single_session request makes a session of its own (field notes §10), known only from its answer, which a
  // beacon never gets: one sent while the batch carrying the session fields was in flight made a second
  // session for one conversation (issue 22, item 9). So while that batch is in flight, no beacon carries them,
  // and a page that is only hidden (visibilitychange: it may come back, or run on in the background) holds its
  // events in storage until the answer: then it takes back those no other tab claimed, moves them into the
  // answered session (or sends them with the next try) and sends them. A page going away (pagehide) cannot
  // wait: its events leave at once in the client's own session id, never making a session of their own.
  let held: string[] = []
  let heldSession: string | undefined
  function hold(entries: Entry[]): Entry[] {
    const { name, left } = leftovers.save(entries)
    if (name === undefined) return left
    // flush() resolves once the batch in flight settled; the queue is empty (a hide took it).
    if (held.length === 0) void delivery.flush().then(adopt)
    held.push(name)
    heldSession ??= delivery.session.id
    return left
  }
  /** The held events no other tab claimed, in the answered session once the batch was accepted. */
  function takeHeld(): StoredEvent[] {
    const events = leftovers.take(held.splice(0))
    // By the event's own field, never by text: only the events stamped with the client's session move.
    const { session } = delivery
    if (!session.pending)
      for (const event of events) if (event.session_id === heldSession) event.session_id = session.id
    heldSession = undefined
    return events
  }
  function adopt(): void {
    // A client shut down meanwhile leaves them to the next page.
    if (stopped || held.length === 0) return
    requeue(takeHeld())
    if (hidden) onHide()
    else setTimeout(delivery.flush)
  }

  // Closing a tab fires pagehide then visibilitychange (field notes §2): the first takes the queue, so the
  // second finds it empty and sends nothing. Events logged while hidden (by the app's own pagehide handler,
  // which runs after ours) go out at once, in one send per task.
  let hidden = false
  let leaving = false
  let soon = false
  let stopped = false
  function onHide(): void {
    hidden = true
    const single = options.singleSession === true
    // Hidden before the first batch went: it goes now, answered (keepalive), the rest held for that answer.
    if (single && !leaving && delivery.session.pending && !delivery.limits.sessionInFlight) void delivery.flush()
    let entries = delivery.takeAll()
    const sessionInFlight = single && delivery.limits.sessionInFlight
    if (leaving && held.length > 0) {
      requeue(takeHeld())
      entries = delivery.takeAll().concat(entries)
    }
    if (entries.length === 0) return
    if (sessionInFlight && !leaving) {
      entries = hold(entries)
      if (entries.length === 0) return debug("hidden: held for the session's answer")
    }
    const { chunks, fit } = chunkForHide(entries, hideBytes - inFlight, envelope, delivery.limits)
    const frame = sessionInFlight ? delivery.session.plainFrame : delivery.session.frame
    const unsent = chunks.flatMap((chunk) => send(chunk, frame)).concat(entries.slice(fit))
    if (unsent.length > 0) store(unsent)
    debug(`hidden: ${unsent.length}/${entries.length} stored`)
  }
  const onVisibility = (): void => (doc.visibilityState === 'hidden' ? onHide() : onShow())
  const onShow = (): void => void (hidden = leaving = false)
  const onPageHide = (): void => {
    leaving = true
    onHide()
  }

  // Leftovers of earlier pages, claimed (removed) before sending under a Web Lock where there is one, put
  // first and flushed now; only what the queue has room for, the rest once that flush made room (leftovers.ts).
  function claim(): void {
    // The lock may be granted late: a page already hidden (or a client shut down) takes nothing.
    if (hidden || stopped) return
    const queued = delivery.stats().queued
    const { events, more } = leftovers.claim(options.maxQueueSize - queued, queued === 0)
    if (events.length > 0) requeue(events, true)
    if (events.length > 0 || more) setTimeout(() => void delivery.flush().then(() => more && locked()))
  }
  const locks = (globalThis.navigator as { locks?: { request(name: string, callback: () => void): Promise<unknown> } })
    ?.locks
  const locked = (): void => void (locks ? locks.request(leftovers.lock, claim).catch(claim) : claim())
  doc.addEventListener('visibilitychange', onVisibility)
  addEventListener('pagehide', onPageHide)
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
      locked()
    },
    stop() {
      stopped = true
      doc.removeEventListener('visibilitychange', onVisibility)
      removeEventListener('pagehide', onPageHide)
      removeEventListener('pageshow', onShow)
    },
  }
}
