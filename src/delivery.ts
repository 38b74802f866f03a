import type { EncodedEvent } from './encode.js'
import { byteLength } from './encode.js'
import { DroppedError, HoneyHiveError, HttpError, NetworkError } from './errors.js'
import { holdExit, releaseExit } from './exit.js'
import { shutdownTimeoutMs, type ResolvedOptions } from './options.js'
import { backoffMs, clientPolicy, ruleFor, updatePolicy } from './policy.js'
import { createQueue, type Entry } from './queue.js'
import { createScheduler, systemClock, type Clock } from './scheduler.js'
import type { Session } from './session.js'
import { answerOf, batchBody, sendBatch, sendUpdate, type TransportOptions } from './transport.js'

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
  reject(error: HoneyHiveError, bucket?: Bucket, entries?: Entry[], quiet?: boolean): void
  /** The session: its frame, and joining the server's (client.ts, unload.ts). */
  readonly session: Session
  /** The most JSON bytes of events one request may carry: `maxBatchBytes`, or less once a 413 taught it. */
  readonly batchBytes: number
  /** The most events one request may carry: `flushAt`, or a relay's `max_events` once its 413 said so. */
  readonly batchCount: number
  /** The transport settings of this client, counting retries into `stats().retried`. */
  readonly transport: TransportOptions
  /** Whether a batch carrying the session fields is in flight: a page-hide beacon then sends none (one session, not two). */
  readonly sessionInFlight: boolean
  /** Takes every queued event and update out (page-hide sending); what is in flight stays with its request. */
  takeAll(): Entry[]
  /** Puts entries back at the front of their queue. */
  requeue(entries: Entry[]): void
  /** Stops the timer and the exit hook; later sends happen only through flush(). */
  stop(): void
}

type Bucket = 'sent' | 'failed' | 'dropped'
type Watch = Record<Bucket, number> & { last: number }

const idsOf = (entries: Entry[]): string[] => entries.map((entry) => entry.id)
/** Splits `entries` in two halves, the first the larger. */
const halves = (entries: Entry[]): [Entry[], Entry[]] => {
  const half = Math.ceil(entries.length / 2)
  return [entries.slice(0, half), entries.slice(half)]
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

/**
 * The delivery engine: the queues (events, and updates of events), when to send, and the failure policy
 * (policy.ts) applied to each answer. One request is in flight at a time, so a pause (429, outage) holds
 * everything. Parts: the scheduler owns the timer and the pauses, the session owns the session fields, the
 * transport sends one request.
 */
export function createDelivery({ options, session, report, debug, keepalive, clock = systemClock }: DeliveryContext): Delivery {
  const queue = createQueue(options.maxQueueSize)
  const updates = createQueue(options.maxQueueSize)
  const totals: Stats = { queued: 0, sent: 0, failed: 0, dropped: 0, retried: 0 }
  // The frame while it still carries the session fields is the largest it gets.
  const envelope = byteLength(batchBody([], session.frame))
  let batchBytes = options.maxBatchBytes - envelope
  // A relay that says how many events it takes (its 413's `max_events`) is believed; a byte limit is learned
  // from the size of what a 413 refused, so one large event does not shrink later batches (issue 22).
  let batchCount = options.flushAt
  // A full queue sends too: with maxQueueSize under flushAt, waiting for flushAt would only drop events.
  const sendAt = Math.min(options.flushAt, options.maxQueueSize)
  // An event sent this often in attempts that may have stored it (two rounds of retries) is given up.
  const maxSends = 2 * (options.maxRetries + 1)
  // HoneyHive stores events asynchronously: an update answered 404 is tried again for this long at most.
  const updateNotFoundMs = 60_000
  // Aborted by a deadline (shutdown, the end of a script): what is in flight and any wait stop.
  let stopper = new AbortController()
  const transport: TransportOptions = {
    url: options.batchUrl,
    apiKey: options.apiKey,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    maxTimeoutMs: Math.max(options.timeoutMs, 60_000),
    maxRetries: options.maxRetries,
    maxRetryAfterMs: options.maxRetryAfterMs,
    limit: { ms: options.timeoutMs },
    onRetry(attempt, error) {
      totals.retried++
      debug(`retry ${attempt}: ${error.message}`)
    },
  }
  const updateTransport = { ...transport, policy: updatePolicy, base: options.batchUrl.slice(0, -options.route.length) }
  let seq = 0
  let inFlight: Entry[] = []
  let draining: Promise<void> | undefined
  let rounds = 0
  // Single events refused as too large (413): they teach a byte limit, not a count.
  let tooLarge = 0
  let sessionInFlight = false
  let stopped = false
  // Each running flush() counts the events that were queued when it was called, and only those.
  const watches = new Set<Watch>()
  const scheduler = createScheduler(clock, () => start())

  const stats = (): Stats => ({ ...totals, queued: queue.size + updates.size + inFlight.length })

  function count(bucket: Bucket, entries: Entry[]): void {
    totals[bucket] += entries.length
    for (const watch of watches) for (const entry of entries) if (entry.seq <= watch.last) watch[bucket]++
  }
  function reject(error: HoneyHiveError, bucket: Bucket = 'dropped', entries?: Entry[], quiet?: boolean): void {
    if (entries) count(bucket, entries)
    else totals[bucket] += error.eventIds.length
    if (!quiet) report(error)
  }
  // Events a full queue pushes out are counted at once and reported once per task: in an outage every
  // log() pushes one out, and one error per call would flood onError.
  const overflow: string[] = []
  function dropOverflow(entries: Entry[]): void {
    if (entries.length === 0) return
    count('dropped', entries)
    const reportPending = overflow.length > 0
    overflow.push(...idsOf(entries))
    // A timer, not a microtask: an onError that logs again must not starve the page or process.
    if (!reportPending) clock.setTimeout(() => report(new DroppedError('queue_full', 'queue full: oldest events dropped; raise maxQueueSize', overflow.splice(0))), 0)
  }

  const waiting = (): number => queue.size + updates.size
  /** The next background send: at once when `flushAt` are waiting, else within `flushIntervalMs` (or when a pause ends). */
  function arm(): void {
    if (stopped || waiting() === 0) return
    if (queue.size >= sendAt || updates.size > 0) start()
    else scheduler.schedule(options.flushIntervalMs)
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
      else if (!stopper.signal.aborted) scheduler.schedule(queue.size >= sendAt || updates.size > 0 ? 0 : options.flushIntervalMs)
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
      const kind = queue.size > 0 && queue.headSeq <= lastSeq ? queue : updates.size > 0 && updates.headSeq <= lastSeq ? updates : undefined
      if (!kind) return
      inFlight = kind === queue ? queue.take(batchCount, batchBytes) : updates.take(1, Infinity)
      const kept = kind === queue ? await deliver(inFlight) : await deliverUpdate(inFlight[0])
      inFlight = []
      if (kept.length > 0) return dropOverflow(kind.requeue(kept))
    }
  }

  /** Sends one batch; settles its events and resolves those to keep for later, in their order. */
  async function deliver(batch: Entry[], once?: boolean): Promise<Entry[]> {
    const bytes = batch.reduce((sum, entry) => sum + entry.bytes + 1, 0)
    const carrying = session.pending
    sessionInFlight ||= carrying
    const release = keepalive?.(bytes)
    try {
      const init = { keepalive: release !== undefined, signal: stopper.signal }
      const answer = await sendBatch(batch, session.frame, once ? { ...transport, maxRetries: 0 } : transport, init)
      const joined = session.accept(answer, [...queue.entries, ...inFlight])
      if (joined) debug(`joined session ${joined}`)
      count('sent', batch)
      rounds = 0
      scheduler.recover()
      debug(`sent ${batch.length} events, ${bytes} bytes${carrying ? ' with the session fields' : ''}`)
      return []
    } catch (caught) {
      // sendBatch rejects only with our errors; anything else still keeps the batch, as a network error.
      const error = caught instanceof HoneyHiveError ? caught : new NetworkError(idsOf(batch), caught)
      const left = new Set(error.eventIds)
      const undelivered = batch.filter((entry) => left.has(entry.id))
      count('sent', batch.filter((entry) => !left.has(entry.id)))
      // Aborted by a deadline (shutdown, exit): the caller reports what is left, once.
      if (stopper.signal.aborted) return undelivered
      const rule = ruleFor(clientPolicy, answerOf(error))
      if (rule.action === 'split' && undelivered.length > 1) return split(error as HttpError, undelivered)
      if (rule.action === 'split') {
        tooLarge++
        batchBytes = Math.max(1, Math.min(batchBytes, undelivered[0].bytes))
      }
      if (rule.action !== 'retry') {
        reject(error, 'failed', undelivered)
        return []
      }
      if (once) return undelivered
      // One event the server fails on every time must not hold the others: bisect a batch that failed a
      // whole round (policy: isolate), unless both halves fail too, which is an outage.
      const kept = rule.isolate && undelivered.length > 1 ? await isolate(undelivered) : undelivered
      return keep(error, kept)
    } finally {
      if (carrying) sessionInFlight = false
      release?.()
    }
  }

  /**
   * 413 on several events: halves the batch count (a relay's maxEvents, or its `max_events` when its 413 says
   * so), then sends the halves (the second only once the first went). When the halves end at one event
   * refused as too large, the 413 was about that event's bytes: the byte limit is learned and the count
   * restored, so one 100 KB paste does not shrink every later batch (issue 22).
   */
  async function split(error: HttpError, entries: Entry[]): Promise<Entry[]> {
    const [count, singles] = [batchCount, tooLarge]
    const said = (error.body as { max_events?: unknown })?.max_events
    const [first, second] = halves(entries)
    batchCount = Math.min(batchCount, Number.isInteger(said) && (said as number) > 0 ? (said as number) : first.length)
    let kept = await deliver(first)
    if (kept.length === 0) kept = await deliver(second)
    else kept = kept.concat(second)
    if (tooLarge > singles && !said) batchCount = count
    return kept
  }

  /** Sends each half once; keeps bisecting the half that fails while the other goes. Resolves what is left. */
  async function isolate(entries: Entry[]): Promise<Entry[]> {
    if (entries.length === 1) return entries
    const [first, second] = halves(entries)
    const keptFirst = await deliver(first, true)
    const keptSecond = stopper.signal.aborted ? second : await deliver(second, true)
    if (keptFirst.length > 0 && keptSecond.length > 0) return keptFirst.concat(keptSecond)
    return isolate(keptFirst.length > 0 ? keptFirst : keptSecond)
  }

  /** After a failed round: drops what was sent too often, reports the rest, and pauses every send. */
  function keep(error: HoneyHiveError, entries: Entry[]): Entry[] {
    // Events the server may have stored maxSends times already are given up, once, instead of sent again.
    const spent = entries.filter((entry) => (entry.sends ?? 0) >= maxSends)
    const kept = entries.filter((entry) => !spent.includes(entry))
    if (kept.length > 0) report(Object.assign(error, { eventIds: idsOf(kept) }))
    if (spent.length > 0) {
      const message = `sent ${maxSends} times with no answer that they were stored (timeouts, 500, 502, 504, pages that are not HoneyHive's); given up so that the server does not store more copies`
      reject(new DroppedError('max_sends', message, idsOf(spent), error), 'dropped', spent)
    }
    pause(error)
    return kept
  }

  /** Holds every send as long as the server asked (Retry-After), else backs off 1 s, 2 s, 4 s ... up to 60 s. */
  function pause(error: HoneyHiveError): void {
    const retryAfter = (error as HttpError).retryAfterMs
    rounds++
    if (retryAfter === undefined) scheduler.backOff(backoffMs(clientPolicy, rounds))
    else scheduler.pauseForServer(Math.min(retryAfter, options.maxRetryAfterMs))
  }

  /** Sends one event update; resolves it back when it should be tried again later. */
  async function deliverUpdate(entry: Entry): Promise<Entry[]> {
    entry.firstTriedAt ??= clock.now()
    try {
      await sendUpdate(JSON.parse(entry.json), options.route, updateTransport, { signal: stopper.signal })
      count('sent', [entry])
      debug(`updated ${entry.id}`)
      return []
    } catch (caught) {
      const error = caught instanceof HoneyHiveError ? caught : new NetworkError([entry.id], caught)
      if (stopper.signal.aborted) return [entry]
      const rule = ruleFor(updatePolicy, answerOf(error))
      if (rule.action !== 'retry' || (rule.notYet && clock.now() - entry.firstTriedAt >= updateNotFoundMs)) {
        const why = rule.notYet ? `; HoneyHive did not store event ${entry.id} within ${updateNotFoundMs / 1000} s` : ''
        reject(Object.assign(error, { message: error.message + why }), 'failed', [entry])
        return []
      }
      return keep(error, [entry])
    }
  }

  async function flush(timeoutMs?: number): Promise<FlushResult> {
    const watch: Watch = { last: seq, sent: 0, failed: 0, dropped: 0 }
    watches.add(watch)
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
    watches.delete(watch)
    const { sent, failed, dropped } = watch
    return { sent, failed, dropped, queued: stats().queued }
  }

  async function close(timeoutMs: number, why: string): Promise<FlushResult> {
    const watch: Watch = { last: seq, sent: 0, failed: 0, dropped: 0 }
    watches.add(watch)
    await flush(timeoutMs)
    // The deadline passed or everything went: stop what is in flight, and drop what is left, once.
    stopper.abort()
    while (draining) await draining
    stopper = new AbortController()
    const left = [...queue.takeAll(), ...updates.takeAll()]
    if (left.length > 0) reject(new DroppedError('shutdown', `${why}: these events were not delivered`, idsOf(left)), 'dropped', left)
    watches.delete(watch)
    const { sent, failed, dropped } = watch
    return { sent, failed, dropped, queued: stats().queued }
  }
  const atExit = () => close(shutdownTimeoutMs, 'the script ended before they were delivered')

  function add(entry: Entry, into: typeof queue): void {
    entry.seq = ++seq
    dropOverflow(into.push(entry))
    holdExit(atExit)
    arm()
  }

  return {
    // The encoded event is ours alone: number it in place rather than copy it.
    enqueue: (event) => add(event as Entry, queue),
    enqueueUpdate: (eventId, json) => add({ id: eventId, json, bytes: byteLength(json), truncated: false, seq: 0, update: true }, updates),
    merge(eventId, merge) {
      const entry = queue.entries.find((queued) => queued.id === eventId)
      if (!entry) return false
      const event = JSON.parse(entry.json)
      merge(event)
      entry.json = JSON.stringify(event)
      entry.bytes = byteLength(entry.json)
      return true
    },
    flush,
    close,
    stats,
    reject,
    session,
    get batchBytes() {
      return batchBytes
    },
    get batchCount() {
      return batchCount
    },
    get sessionInFlight() {
      return sessionInFlight
    },
    transport,
    takeAll: () => [...queue.takeAll(), ...updates.takeAll()],
    requeue(entries) {
      dropOverflow(queue.requeue(entries.filter((entry) => !entry.update)))
      dropOverflow(updates.requeue(entries.filter((entry) => entry.update)))
    },
    stop() {
      stopped = true
      scheduler.cancel()
      releaseExit(atExit)
    },
  }
}
