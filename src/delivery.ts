import type { EncodedEvent } from './encode.js'
import { byteLength } from './encode.js'
import { DroppedError, HoneyHiveError, HttpError, InvalidResponseError, NetworkError, TimeoutError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import { createQueue, type Entry } from './queue.js'
import { batchBody, retryStatuses, sendBatch, type TransportOptions } from './transport.js'

/** Running totals since the client was created. */
export interface Stats {
  /** Events waiting, including those in flight. */
  queued: number
  /** Events the server accepted. */
  sent: number
  /** Events the server refused for good (a 4xx other than 408/429, or 413 for a single event). */
  failed: number
  /** Events the client gave up on without a server verdict: invalid, queue overflow, beforeSend threw, shutdown. */
  dropped: number
  /** Requests sent again after a retryable failure. */
  retried: number
}

/** What one `flush()` did: events sent, failed and dropped while it ran, and what is still queued. */
export interface FlushResult {
  sent: number
  failed: number
  dropped: number
  queued: number
}

const isRetryable = (error: HoneyHiveError): boolean =>
  error instanceof NetworkError || error instanceof TimeoutError || (error instanceof HttpError && retryStatuses.includes(error.status))

/**
 * The delivery engine: the queue, when to send, and the failure policy for batches. One batch is in flight
 * at a time, so a pause (429, outage) holds the whole queue.
 */
export function createDelivery(
  options: ResolvedOptions,
  tail: string,
  report: (error: HoneyHiveError) => void,
  debug: (message: string) => void,
  keepalive: (bytes: number) => (() => void) | undefined,
) {
  const queue = createQueue(options.maxQueueSize)
  const totals: Stats = { queued: 0, sent: 0, failed: 0, dropped: 0, retried: 0 }
  const batchBudget = options.maxBatchBytes - byteLength(batchBody([], tail))
  const transport: TransportOptions = {
    ...options,
    url: options.batchUrl,
    onRetry(attempt, error) {
      totals.retried++
      debug(`retry ${attempt}: ${error.message}`)
    },
  }
  let seq = 0
  let inFlight: Entry[] = []
  let draining: Promise<void> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  // A server's Retry-After holds every send, flush() included; our own outage backoff holds only the
  // background sends, so flush() still tries at once.
  let pausedUntil = 0
  let backoffUntil = 0
  let outageRounds = 0
  let stopped = false

  const stats = (): Stats => ({ ...totals, queued: queue.size + inFlight.length })

  /** Counts and reports events given up on: by the client (`dropped`) or refused by the server (`failed`). */
  function reject(error: HoneyHiveError, bucket: 'dropped' | 'failed' = 'dropped'): void {
    totals[bucket] += error.eventIds.length
    report(error)
  }
  // Events a full queue pushes out are counted at once and reported once per task: in an outage every
  // log() pushes one out, and one error per call would flood onError.
  const overflow: string[] = []
  function dropOverflow(entries: Entry[]): void {
    if (entries.length === 0) return
    totals.dropped += entries.length
    const reportPending = overflow.length > 0
    overflow.push(...entries.map((entry) => entry.id))
    // A timer, not a microtask: an onError that logs again must not starve the page or process.
    if (!reportPending) setTimeout(() => report(new DroppedError('queue_full', 'queue full: oldest events dropped; raise maxQueueSize', overflow.splice(0))))
  }

  function arm(): void {
    if (timer !== undefined || stopped || queue.size === 0) return
    timer = setTimeout(() => {
      timer = undefined
      start()
    }, Math.max(options.flushIntervalMs, Math.max(pausedUntil, backoffUntil) - Date.now()))
    // Node and Deno: a pending flush must not keep the process alive (call shutdown() to deliver first).
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
      if (queue.size >= options.flushAt) start()
      else arm()
    })
    return draining
  }

  async function drain(lastSeq: number, force: boolean): Promise<void> {
    while (queue.size > 0 && queue.headSeq <= lastSeq) {
      const wait = (force ? pausedUntil : Math.max(pausedUntil, backoffUntil)) - Date.now()
      if (wait > 0) {
        if (!force) return
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
      inFlight = queue.take(options.flushAt, batchBudget)
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
      await sendBatch(batch, tail, transport, { keepalive: release !== undefined })
      totals.sent += batch.length
      outageRounds = 0
      debug(`sent ${batch.length} events, ${bytes} bytes`)
      return []
    } catch (caught) {
      // sendBatch rejects only with our errors; anything else still keeps the batch, as a network error.
      const error = caught instanceof HoneyHiveError ? caught : new NetworkError(batch.map((entry) => entry.id), caught)
      const left = new Set(error.eventIds)
      const undelivered = batch.filter((entry) => left.has(entry.id))
      totals.sent += batch.length - undelivered.length
      if (error instanceof InvalidResponseError) {
        totals.sent += undelivered.length
        report(error)
        return []
      }
      if (error instanceof HttpError && error.status === 413 && undelivered.length > 1) {
        const half = Math.ceil(undelivered.length / 2)
        const kept = await deliver(undelivered.slice(0, half))
        return kept.length > 0 ? kept.concat(undelivered.slice(half)) : deliver(undelivered.slice(half))
      }
      report(error)
      if (!isRetryable(error)) {
        totals.failed += undelivered.length
        return []
      }
      // Retries are spent: keep the events and pause the whole queue, as long as the server asked (429),
      // else 1 s, 2 s, 4 s ... up to 60 s while it stays down.
      const retryAfter = (error as HttpError).retryAfterMs
      outageRounds++
      if (retryAfter === undefined) backoffUntil = Date.now() + Math.min(500 * 2 ** outageRounds, 60_000)
      else pausedUntil = Date.now() + Math.min(retryAfter, options.maxRetryAfterMs)
      return undelivered
    } finally {
      release?.()
    }
  }

  return {
    /** Queues an encoded event; sends when `flushAt` are waiting, else within `flushIntervalMs`. */
    enqueue(event: EncodedEvent): void {
      // The encoded event is ours alone: number it in place rather than copy it.
      ;(event as Entry).seq = ++seq
      dropOverflow(queue.push(event as Entry))
      if (queue.size >= options.flushAt) start()
      else arm()
    },
    /** Sends everything queued before the call (after the batch in flight); never rejects. */
    async flush(): Promise<FlushResult> {
      const before = { ...totals }
      const lastSeq = seq
      while (draining) await draining
      if (queue.size > 0 && queue.headSeq <= lastSeq) await run(lastSeq, true)
      const { sent, failed, dropped, queued } = stats()
      return { sent: sent - before.sent, failed: failed - before.failed, dropped: dropped - before.dropped, queued }
    },
    stats,
    reject,
    /** The transport settings of this client, counting retries into `stats().retried`. */
    transport,
    /** Takes every queued event out (for page-hide sending); the batch in flight stays with its request. */
    takeAll: (): Entry[] => queue.takeAll(),
    /** Puts events back at the front of the queue. */
    requeue: (entries: Entry[]): void => dropOverflow(queue.requeue(entries)),
    /** Stops timers; later sends happen only through flush(). */
    stop(): void {
      stopped = true
      clearTimeout(timer)
      timer = undefined
    },
  }
}

export type Delivery = ReturnType<typeof createDelivery>
