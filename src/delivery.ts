import type { EncodedEvent } from './encode.js'
import { byteLength } from './encode.js'
import { DroppedError, HoneyHiveError, HttpError, InvalidResponseError, NetworkError, TimeoutError } from './errors.js'
import { holdExit, releaseExit } from './exit.js'
import { shutdownTimeoutMs, type ResolvedOptions } from './options.js'
import { createQueue, type Entry } from './queue.js'
import { batchFrame, type Frame } from './routes.js'
import { isUuid, type BatchResponse } from './schema.js'
import { batchBody, retryStatuses, sendBatch, type TransportOptions } from './transport.js'

/** Running totals since the client was created. */
export interface Stats {
  /** Events waiting, including those in flight. */
  queued: number
  /** Events the server accepted. */
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

type Bucket = 'sent' | 'failed' | 'dropped'
type Watch = Record<Bucket, number> & { last: number }

const isRetryable = (error: HoneyHiveError): boolean =>
  error instanceof NetworkError || error instanceof TimeoutError || (error instanceof HttpError && retryStatuses.includes(error.status))
const idsOf = (entries: Entry[]): string[] => entries.map((entry) => entry.id)

/**
 * The delivery engine: the queue, when to send, and the failure policy for batches. One batch is in flight
 * at a time, so a pause (429, outage) holds the whole queue.
 */
export function createDelivery(
  options: ResolvedOptions,
  report: (error: HoneyHiveError) => void,
  debug: (message: string) => void,
  keepalive: (bytes: number) => (() => void) | undefined,
) {
  const queue = createQueue(options.maxQueueSize)
  const totals: Stats = { queued: 0, sent: 0, failed: 0, dropped: 0, retried: 0 }
  // The session's flag and properties go with the first batch the server accepts only: HoneyHive makes a
  // session per request that carries single_session, which would split one conversation into many.
  let frame = batchFrame(options.route, { single_session: options.singleSession, session_properties: options.sessionProperties })
  let accepted = false
  const batchBytes = options.maxBatchBytes - byteLength(batchBody([], frame))
  // A full queue sends too: with maxQueueSize under flushAt, waiting for flushAt would only drop events.
  const sendAt = Math.min(options.flushAt, options.maxQueueSize)
  // An event sent this often in attempts that may have stored it (two rounds of retries) is given up.
  const maxSends = 2 * (options.maxRetries + 1)
  // Learned from a 413 (a relay's maxEvents, a proxy's body limit) and kept: later batches start at the size that worked.
  let batchCount = options.flushAt
  let stopper = new AbortController()
  const transport: TransportOptions = {
    ...options,
    url: options.batchUrl,
    maxTimeoutMs: Math.max(options.timeoutMs, 60_000),
    signal: stopper.signal,
    onRetry(attempt, error) {
      totals.retried++
      debug(`retry ${attempt}: ${error.message}`)
    },
  }
  let seq = 0
  let inFlight: Entry[] = []
  let draining: Promise<void> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let timerAt = 0
  // A server's Retry-After holds every send, flush() included; our own outage backoff holds only the
  // background sends, so flush() still tries at once.
  let pausedUntil = 0
  let backoffUntil = 0
  let outageRounds = 0
  let stopped = false
  // Each running flush() counts the events that were queued when it was called, and only those.
  const watches = new Set<Watch>()

  const stats = (): Stats => ({ ...totals, queued: queue.size + inFlight.length })

  function count(bucket: Bucket, entries: Entry[]): void {
    totals[bucket] += entries.length
    for (const watch of watches) for (const entry of entries) if (entry.seq <= watch.last) watch[bucket]++
  }
  /** Counts and reports events given up on: by the client (`dropped`) or refused by the server (`failed`). */
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
    if (!reportPending) setTimeout(() => report(new DroppedError('queue_full', 'queue full: oldest events dropped; raise maxQueueSize', overflow.splice(0))))
  }

  function arm(): void {
    if (stopped || queue.size === 0) return
    // During a pause (Retry-After, outage backoff) the next try comes when it ends, not a flushIntervalMs
    // later: those events have waited already. A timer already set for sooner stays (the oldest event's).
    const paused = Math.max(pausedUntil, backoffUntil) - Date.now()
    const due = Date.now() + (paused > 0 ? paused : options.flushIntervalMs)
    if (timer !== undefined && timerAt <= due) return
    clearTimeout(timer)
    timerAt = due
    timer = setTimeout(() => {
      timer = undefined
      start()
    }, due - Date.now())
    // Node and Deno: a pending flush must not keep the process alive; exit.ts delivers before the end.
    ;(timer as { unref?: () => void }).unref?.()
  }

  function start(): void {
    if (draining || stopped) return
    if (Date.now() < Math.max(pausedUntil, backoffUntil)) return arm()
    void run(Infinity, false)
  }

  function run(lastSeq: number, force: boolean): Promise<void> {
    draining = drain(lastSeq, force).finally(() => {
      draining = undefined
      if (queue.size >= sendAt) start()
      else arm()
      if (queue.size === 0) releaseExit(atExit)
    })
    return draining
  }

  /** Waits `ms`, or less when a deadline aborts what is under way. */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const { signal } = stopper
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done)
    })

  async function drain(lastSeq: number, force: boolean): Promise<void> {
    const { signal } = stopper
    while (queue.size > 0 && queue.headSeq <= lastSeq && !signal.aborted) {
      const wait = (force ? pausedUntil : Math.max(pausedUntil, backoffUntil)) - Date.now()
      if (wait > 0) {
        if (!force) return
        await pause(wait)
        continue
      }
      inFlight = queue.take(batchCount, batchBytes)
      const kept = await deliver(inFlight)
      inFlight = []
      if (kept.length > 0) return dropOverflow(queue.requeue(kept))
    }
  }

  /** Sends one batch and settles its events; resolves those to keep for later, in their order (none when all settled). */
  async function deliver(batch: Entry[]): Promise<Entry[]> {
    const bytes = batch.reduce((sum, entry) => sum + entry.bytes + 1, 0)
    const release = keepalive(bytes)
    try {
      accept(await sendBatch(batch, frame, transport, { keepalive: release !== undefined }))
      count('sent', batch)
      outageRounds = 0
      debug(`sent ${batch.length} events, ${bytes} bytes`)
      return []
    } catch (caught) {
      // sendBatch rejects only with our errors; anything else still keeps the batch, as a network error.
      const error = caught instanceof HoneyHiveError ? caught : new NetworkError(idsOf(batch), caught)
      const left = new Set(error.eventIds)
      const undelivered = batch.filter((entry) => left.has(entry.id))
      count('sent', batch.filter((entry) => !left.has(entry.id)))
      // Aborted by a deadline (shutdown, exit): the caller reports what is left, once.
      if (transport.signal!.aborted) return undelivered
      if (error instanceof InvalidResponseError) return reject(error, 'sent', undelivered), []
      if (error instanceof HttpError && error.status === 413 && undelivered.length > 1) {
        const half = Math.ceil(undelivered.length / 2)
        batchCount = Math.min(batchCount, half)
        const kept = await deliver(undelivered.slice(0, half))
        return kept.length > 0 ? kept.concat(undelivered.slice(half)) : deliver(undelivered.slice(half))
      }
      if (!isRetryable(error)) return reject(error, 'failed', undelivered), []
      // Events the server may have stored maxSends times already are given up, once, instead of sent again.
      const spent = undelivered.filter((entry) => entry.sends! >= maxSends)
      const kept = undelivered.filter((entry) => !spent.includes(entry))
      if (kept.length > 0) report(Object.assign(error, { eventIds: idsOf(kept) }))
      if (spent.length > 0) reject(new DroppedError('max_sends', `sent ${maxSends} times with no answer that they were stored (timeouts, 500, 502, 504); given up so that the server does not store more copies`, idsOf(spent), error), 'dropped', spent)
      // Retries are spent: keep the events and pause the whole queue, as long as the server asked (429),
      // else 1 s, 2 s, 4 s ... up to 60 s while it stays down.
      const retryAfter = (error as HttpError).retryAfterMs
      outageRounds++
      if (retryAfter === undefined) backoffUntil = Date.now() + Math.min(500 * 2 ** outageRounds, 60_000)
      else pausedUntil = Date.now() + Math.min(retryAfter, options.maxRetryAfterMs)
      return kept
    } finally {
      release?.()
    }
  }

  /**
   * After the first accepted batch: no more session fields, and when the server answered another session
   * than the client's (a single_session request makes its own), the events not yet sent join it.
   */
  function accept({ session_id: answered }: BatchResponse): void {
    if (accepted) return
    accepted = true
    frame = batchFrame(options.route, {})
    const mine = options.sessionId
    // Only a single_session request makes a session of its own; any other answer just echoes one.
    if (!options.singleSession || !mine || !answered || answered === mine || !isUuid(answered)) return
    const [from, to] = [mine, answered].map((id) => `"session_id":"${id}"`)
    // Those queued, and those of the batch in flight not sent yet (the second half of a 413 split).
    for (const entry of [...queue.entries, ...inFlight]) entry.json = entry.json.split(from).join(to)
    // Sampling keeps deciding by the session the client started with (prepare.ts).
    options.sampledSession ??= mine
    options.sessionId = answered
    debug(`joined session ${answered}`)
  }

  /** Sends what was queued before the call, within `timeoutMs` when given; never rejects. */
  async function flush(timeoutMs?: number, final?: string): Promise<FlushResult> {
    const watch: Watch = { last: seq, sent: 0, failed: 0, dropped: 0 }
    watches.add(watch)
    const due = (): boolean => queue.size > 0 && queue.headSeq <= watch.last
    let over = false
    await within(
      timeoutMs,
      (async () => {
        for (;;) {
          while (draining) await draining
          if (!due() || over) return
          await run(watch.last, true)
          // shutdown() and the end of a script keep trying, after the backoff, until their deadline.
          if (!final || !due() || over) return
          await pause(Math.max(backoffUntil, pausedUntil) - Date.now())
        }
      })(),
    )
    over = true
    if (final) {
      // The deadline passed or everything went: stop what is in flight, and drop what is left, once.
      stopper.abort()
      while (draining) await draining
      stopper = new AbortController()
      transport.signal = stopper.signal
      const left = queue.takeAll()
      if (left.length > 0) reject(new DroppedError('shutdown', `${final}: these events were not delivered`, idsOf(left)), 'dropped', left)
    }
    watches.delete(watch)
    const { sent, failed, dropped } = watch
    return { sent, failed, dropped, queued: stats().queued }
  }
  const atExit = () => flush(shutdownTimeoutMs, 'the script ended before they were delivered')

  return {
    /** Queues an encoded event; sends when `flushAt` are waiting (or the queue is full), else within `flushIntervalMs`. */
    enqueue(event: EncodedEvent): void {
      // The encoded event is ours alone: number it in place rather than copy it.
      ;(event as Entry).seq = ++seq
      dropOverflow(queue.push(event as Entry))
      holdExit(atExit)
      if (queue.size >= sendAt) start()
      else arm()
    },
    flush,
    stats,
    reject,
    accept,
    /** The most events one request may carry: `flushAt`, or less once a 413 taught it (page-hide beacons too). */
    get batchCount(): number {
      return batchCount
    },
    /** The frame of the next batch (with the session fields until one is accepted). */
    get frame(): Frame {
      return frame
    },
    /** The transport settings of this client, counting retries into `stats().retried`. */
    transport,
    /** Takes every queued event out (for page-hide sending); the batch in flight stays with its request. */
    takeAll: (): Entry[] => queue.takeAll(),
    /** Puts events back at the front of the queue. */
    requeue: (entries: Entry[]): void => dropOverflow(queue.requeue(entries)),
    /** Stops timers and the exit hook; later sends happen only through flush(). */
    stop(): void {
      stopped = true
      clearTimeout(timer)
      timer = undefined
      releaseExit(atExit)
    },
  }
}

/** Resolves when `work` settles or after `ms` (when given), whichever comes first; never rejects. */
function within(ms: number | undefined, work: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      resolve()
    }
    const timer = ms === undefined ? undefined : setTimeout(done, ms)
    work.then(done, done)
  })
}

export type Delivery = ReturnType<typeof createDelivery>
