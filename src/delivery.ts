import type { EncodedEvent } from './encode.js'
import { byteLength } from './encode.js'
import { DroppedError, type HoneyHiveError } from './errors.js'
import { holdExit, releaseExit } from './exit.js'
import { createLedger, idsOf, type FlushResult, type Ledger, type Stats } from './ledger.js'
import { shutdownTimeoutMs, type ResolvedOptions } from './options.js'
import { createQueue, type Entry } from './queue.js'
import { createScheduler, systemClock, type Clock } from './scheduler.js'
import { clientTransport, createSender, mergeInto, type Limits } from './sender.js'
import type { Session } from './session.js'
import { batchBody, type TransportOptions } from './transport.js'

export type { FlushResult, Stats } from './ledger.js'

/** The delivery engine's surface: what the client, page-hide sending and the exit hook use. */
export interface Delivery {
  /** Queues an encoded event; sends when `flushAt` are waiting (or the queue is full), else within `flushIntervalMs`. */
  enqueue(event: EncodedEvent): void
  /** Queues an update of one event (its JSON body, see transport.ts `EventUpdate`). */
  enqueueUpdate(eventId: string, json: string): void
  /** Merges `fields` into the event `eventId` while it is still queued; false when it is not. */
  merge(eventId: string, merge: (event: Record<string, unknown>) => void): boolean
  /**
   * Sends what was queued before the call and resolves what became of it; never rejects. With `timeoutMs` it
   * keeps trying after each backoff until then, and resolves by then at the latest (what is left stays queued).
   */
  flush(timeoutMs?: number): Promise<FlushResult>
  /** Flushes within `timeoutMs`, then aborts what is in flight and drops what is left, reported once with `why`. */
  close(timeoutMs: number, why: string): Promise<FlushResult>
  stats(): Stats
  /** Counts and reports events given up on: by the client (`dropped`) or refused by the server (`failed`). */
  reject: Ledger['reject']
  /** The session: its frame, and joining the server's (client.ts, unload.ts). */
  readonly session: Session
  /**
   * What the engine learned and does: the most JSON bytes and events one request may carry (`maxBatchBytes`
   * and `flushAt`, or less once a 413 taught it: page-hide beacons keep them), and whether a batch carrying
   * the session fields is in flight (a beacon then sends none: one session, not two).
   */
  readonly limits: Readonly<Limits>
  /** The transport settings of this client, counting retries into `stats().retried`. */
  readonly transport: TransportOptions
  /** Takes every queued event and update out (page-hide sending); what is in flight stays with its request. */
  takeAll(): Entry[]
  /** Puts entries back at the front of their queue. */
  requeue(entries: Entry[]): void
  /** Stops the timer and the exit hook; later sends happen only through flush(). */
  stop(): void
}

/** What the engine needs besides the options: the session, error reporting, debug lines, page keepalive budget, a clock. */
export interface DeliveryContext {
  options: ResolvedOptions
  session: Session
  report: (error: HoneyHiveError) => void
  debug: (message: string) => void
  /** Whether a request of `bytes` may use `keepalive` (a page's budget); returns its release callback when it may. */
  keepalive?: (bytes: number) => (() => void) | undefined
  clock?: Clock
}

/** Merges into the event `eventId` where it waits in `entries`; false when it is not there. */
function mergeQueued(entries: Entry[], eventId: string, merge: (event: Record<string, unknown>) => void): boolean {
  const entry = entries.find((queued) => queued.id === eventId)
  if (entry) mergeInto(entry, merge)
  return entry !== undefined
}

/**
 * The delivery engine: the queues (events, and updates of events), when to send, flush and close. One
 * request is in flight at a time, so a pause (429, outage) holds everything. Its parts: the scheduler owns
 * the timer and the pauses, the sender sends one request and applies the failure policy to its answer, the
 * ledger counts, the session owns the session fields (docs/architecture.md).
 */
export function createDelivery(context: DeliveryContext): Delivery {
  const { options, session, report, debug, clock = systemClock } = context
  const queue = createQueue(options.maxQueueSize)
  const updates = createQueue(options.maxQueueSize)
  const ledger = createLedger(report, clock)
  const { totals, dropOverflow } = ledger
  // The frame while it still carries the session fields is the largest it gets.
  const envelope = byteLength(batchBody([], session.frame))
  const limits: Limits = {
    batchBytes: options.maxBatchBytes - envelope,
    batchCount: options.flushAt,
    sessionInFlight: false,
  }
  // A full queue sends too: with maxQueueSize under flushAt, waiting for flushAt would only drop events.
  const sendAt = Math.min(options.flushAt, options.maxQueueSize)
  // Aborted by a deadline (shutdown, the end of a script): what is in flight and any wait stop.
  let stopper = new AbortController()
  const transport = clientTransport(options, totals, debug)
  let seq = 0
  let inFlight: Entry[] = []
  let draining: Promise<void> | undefined
  let stopped = false
  const scheduler = createScheduler(clock, () => start())
  const signal = () => stopper.signal
  const waitingEntries = () => [...queue.entries, ...inFlight]
  const parts = { ...context, clock, ledger, scheduler, signal, waiting: waitingEntries }
  const sender = createSender(parts, transport, limits)

  const stats = (): Stats => ({ ...totals, queued: queue.size + updates.size + inFlight.length })
  const waiting = (): number => queue.size + updates.size

  // The next background send: in the next task when `flushAt` are waiting (starting a request inside log()
  // cost a burst of 20 calls ~0.5 ms, issue 20), else within `flushIntervalMs` (or when a pause ends). A full
  // queue sends at once: its oldest go out rather than being dropped by the next log().
  function arm(): void {
    if (stopped || waiting() === 0) return
    if (queue.size >= options.maxQueueSize) start()
    else scheduler.schedule(queue.size >= sendAt || updates.size > 0 ? 0 : options.flushIntervalMs)
  }
  function start(): void {
    if (draining || stopped || stopper.signal.aborted) return
    const wait = scheduler.waitMs(false)
    if (wait > 0) return scheduler.schedule(wait)
    void run(Infinity, false)
  }
  function run(lastSeq: number, force: boolean): Promise<void> {
    draining = drain(lastSeq, force).finally(() => {
      draining = undefined
      if (waiting() === 0) releaseExit(atExit)
      // Never restarted at once after a deadline aborted it: that would spin (issue 22).
      // After a failed round the next try comes when the backoff or Retry-After ends, not a flush interval later.
      else if (!stopper.signal.aborted) {
        const now = queue.size >= sendAt || updates.size > 0 || scheduler.waitMs(false) > 0
        scheduler.schedule(now ? 0 : options.flushIntervalMs)
      }
    })
    return draining
  }

  async function drain(lastSeq: number, force: boolean): Promise<void> {
    const { signal } = stopper
    while (!signal.aborted) {
      const wait = scheduler.waitMs(force)
      if (wait > 0) {
        if (!force) return
        await scheduler.sleep(wait, signal)
        continue
      }
      // Events first, then updates; each only when queued before `lastSeq` (headSeq is Infinity when empty).
      const events = queue.size > 0 && queue.headSeq <= lastSeq
      if (!events && !(updates.size > 0 && updates.headSeq <= lastSeq)) return
      inFlight = events ? queue.take(limits.batchCount, limits.batchBytes) : updates.take(1, Infinity)
      const kept = events ? await sender.deliver(inFlight) : await sender.deliverUpdate(inFlight[0])
      inFlight = []
      if (kept.length > 0) return dropOverflow((events ? queue : updates).requeue(kept))
    }
  }

  async function flush(timeoutMs?: number): Promise<FlushResult> {
    const watch = ledger.watch(seq)
    const due = (): boolean => waiting() > 0 && Math.min(queue.headSeq, updates.headSeq) <= watch.last
    let over = false
    await scheduler.within(
      timeoutMs,
      (async () => {
        for (;;) {
          while (draining) await draining
          if (!due() || over) return
          await run(watch.last, true)
          // With a deadline, keep trying after the backoff until it passes (a Worker's waitUntil, shutdown()).
          if (timeoutMs === undefined || !due() || over || stopper.signal.aborted) return
          await scheduler.sleep(scheduler.waitMs(false), stopper.signal)
        }
      })(),
    )
    over = true
    return { ...ledger.unwatch(watch), queued: stats().queued }
  }

  async function close(timeoutMs: number, why: string): Promise<FlushResult> {
    const watch = ledger.watch(seq)
    await flush(timeoutMs)
    // The deadline passed or everything went: stop what is in flight, and drop what is left, once.
    stopper.abort()
    while (draining) await draining
    stopper = new AbortController()
    const left = [...queue.takeAll(), ...updates.takeAll()]
    const message = `${why}: these events were not delivered`
    if (left.length > 0) ledger.reject(new DroppedError('shutdown', message, idsOf(left)), 'dropped', left)
    return { ...ledger.unwatch(watch), queued: stats().queued }
  }
  function stop(): void {
    stopped = true
    scheduler.cancel()
    releaseExit(atExit)
  }
  // The end of a script is its shutdown: one drain (exit.ts runs it once), what is logged later dropped.
  const atExit = () => close(shutdownTimeoutMs, 'the script ended before they were delivered').finally(stop)

  function add(entry: Entry, into: typeof queue): void {
    entry.seq = ++seq
    // Only after a script's end: the client checks shutdown() itself.
    if (stopped)
      return ledger.reject(new DroppedError('shutdown', 'logged after the script ended: not sent', [entry.id]))
    dropOverflow(into.push(entry))
    holdExit(atExit)
    arm()
  }

  return {
    // The encoded event is ours alone: number it in place rather than copy it.
    enqueue: (event) => add(event as Entry, queue),
    enqueueUpdate: (eventId, json) =>
      add({ id: eventId, json, bytes: byteLength(json), truncated: false, seq: 0, update: true }, updates),
    merge: (eventId, merge) => mergeQueued(queue.entries, eventId, merge),
    flush,
    close,
    stats,
    reject: ledger.reject,
    session,
    limits,
    transport,
    takeAll: () => [...queue.takeAll(), ...updates.takeAll()],
    requeue(entries) {
      dropOverflow(queue.requeue(entries.filter((entry) => !entry.update)))
      dropOverflow(updates.requeue(entries.filter((entry) => entry.update)))
    },
    stop,
  }
}
