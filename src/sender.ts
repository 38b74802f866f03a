import { byteLength } from './encode.js'
import { DroppedError, HoneyHiveError, HttpError, NetworkError } from './errors.js'
import { idsOf, type Ledger, type Stats } from './ledger.js'
import type { ResolvedOptions } from './options.js'
import { backoffMs, clientPolicy, ruleFor, updatePolicy } from './policy.js'
import type { Entry } from './queue.js'
import type { Clock, Scheduler } from './scheduler.js'
import type { Session } from './session.js'
import { answerOf, sendBatch, sendUpdate, type TransportOptions } from './transport.js'

// One request of the engine and what the failure policy (policy.ts) makes of its answer: settle the events,
// split on 413, isolate the event a 5xx keeps failing on, keep the rest and pause (issue 20).

/** What the sender needs from its engine. */
export interface SenderContext {
  options: ResolvedOptions
  session: Session
  ledger: Ledger
  scheduler: Scheduler
  clock: Clock
  report: (error: HoneyHiveError) => void
  debug: (message: string) => void
  keepalive?: (bytes: number) => (() => void) | undefined
  /** Aborted by a deadline (shutdown, the end of a script). */
  signal(): AbortSignal
  /** Events not sent yet, which join the session the server answered. */
  waiting(): Entry[]
}

/** The limits the sender learns, and whether the session fields are in flight (page hide reads them). */
export interface Limits {
  /** Most JSON bytes of events in one request: `maxBatchBytes` less the envelope, or less once a 413 taught it. */
  batchBytes: number
  /** Most events in one request: `flushAt`, or less once a relay's 413 said so. */
  batchCount: number
  sessionInFlight: boolean
}

/** Splits `entries` in two halves, the first the larger. */
const halves = (entries: Entry[]): [Entry[], Entry[]] => {
  const half = Math.ceil(entries.length / 2)
  return [entries.slice(0, half), entries.slice(half)]
}
// HoneyHive stores events asynchronously: an update answered 404 is tried again for this long at most.
const updateNotFoundMs = 60_000

/** The transport settings of a client: its options, one attempt limit for its life, retries counted. */
export function clientTransport(
  options: ResolvedOptions,
  totals: Stats,
  debug: (message: string) => void,
): TransportOptions {
  return {
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
}

/** Changes a queued event in place (feedback merged before it is sent). */
export function mergeInto(entry: Entry, merge: (event: Record<string, unknown>) => void): void {
  const event = JSON.parse(entry.json)
  merge(event)
  entry.json = JSON.stringify(event)
  entry.bytes = byteLength(entry.json)
}

export function createSender(context: SenderContext, transport: TransportOptions, limits: Limits) {
  const { options, session, ledger, scheduler, clock, report, debug } = context
  const updateTransport = { ...transport, policy: updatePolicy, base: options.batchUrl.slice(0, -options.route.length) }
  // An event sent this often in attempts that may have stored it (two rounds of retries) is given up.
  const maxSends = 2 * (options.maxRetries + 1)
  let rounds = 0
  // Single events refused as too large (413): they teach a byte limit, not a count.
  let tooLarge = 0

  /** Sends one batch; settles its events and resolves those to keep for later, in their order. */
  async function deliver(batch: Entry[], once?: boolean): Promise<Entry[]> {
    const bytes = batch.reduce((sum, entry) => sum + entry.bytes + 1, 0)
    // Another page's events never carry this client's session fields (with singleSession they would move
    // into the session its request makes), nor does their answer settle this client's session.
    const carrying = session.pending && !batch[0].claimed
    limits.sessionInFlight ||= carrying
    const release = context.keepalive?.(bytes)
    try {
      const init = { keepalive: release !== undefined, signal: context.signal() }
      const frame = carrying ? session.frame : session.plainFrame
      const answer = await sendBatch(batch, frame, once ? { ...transport, maxRetries: 0 } : transport, init)
      const joined = carrying && session.accept(answer, context.waiting)
      if (joined) debug(`joined session ${joined}`)
      ledger.count('sent', batch)
      rounds = 0
      scheduler.recover()
      debug(`sent ${batch.length} events, ${bytes} bytes${carrying ? ' with the session fields' : ''}`)
      return []
    } catch (caught) {
      // sendBatch rejects only with our errors; anything else still keeps the batch, as a network error.
      const error = caught instanceof HoneyHiveError ? caught : new NetworkError(idsOf(batch), caught)
      const left = new Set(error.eventIds)
      const undelivered = batch.filter((entry) => left.has(entry.id))
      ledger.count(
        'sent',
        batch.filter((entry) => !left.has(entry.id)),
      )
      // Aborted by a deadline (shutdown, exit): the caller reports what is left, once.
      if (context.signal().aborted) return undelivered
      const rule = ruleFor(clientPolicy, answerOf(error))
      if (rule.action === 'split' && undelivered.length > 1) return split(error as HttpError, undelivered)
      if (rule.action === 'split') {
        tooLarge++
        limits.batchBytes = Math.max(1, Math.min(limits.batchBytes, undelivered[0].bytes))
      }
      if (rule.action !== 'retry') {
        ledger.reject(error, 'failed', undelivered)
        return []
      }
      if (once) return undelivered
      // One event the server fails on every time must not hold the others: bisect a batch that failed a
      // whole round (policy: isolate), unless both halves fail too, which is an outage.
      const kept = rule.isolate && undelivered.length > 1 ? await isolate(undelivered) : undelivered
      return keep(error, kept)
    } finally {
      if (carrying) limits.sessionInFlight = false
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
    const [count, singles] = [limits.batchCount, tooLarge]
    const said = (error.body as { max_events?: unknown })?.max_events
    const [first, second] = halves(entries)
    const told = Number.isInteger(said) && (said as number) > 0
    limits.batchCount = Math.min(limits.batchCount, told ? (said as number) : first.length)
    let kept = await deliver(first)
    if (kept.length === 0) kept = await deliver(second)
    else kept = kept.concat(second)
    if (tooLarge > singles && !told) limits.batchCount = count
    return kept
  }

  /** Sends each half once; keeps bisecting the half that fails while the other goes. Resolves what is left. */
  async function isolate(entries: Entry[]): Promise<Entry[]> {
    if (entries.length === 1) return entries
    const [first, second] = halves(entries)
    const keptFirst = await deliver(first, true)
    const keptSecond = context.signal().aborted ? second : await deliver(second, true)
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
      const message =
        `sent ${maxSends} times with no answer that they were stored (timeouts, 500, 502, 504, pages that are ` +
        "not HoneyHive's); given up so that the server does not store more copies"
      ledger.reject(new DroppedError('max_sends', message, idsOf(spent), error), 'dropped', spent)
    }
    // Holds every send as long as the server asked (Retry-After), else backs off 1 s, 2 s, 4 s ... up to 60 s.
    const retryAfter = (error as HttpError).retryAfterMs
    rounds++
    if (retryAfter === undefined) scheduler.backOff(backoffMs(clientPolicy, rounds))
    else scheduler.pauseForServer(Math.min(retryAfter, options.maxRetryAfterMs))
    return kept
  }

  /** Sends one event update; resolves it back when it should be tried again later. */
  async function deliverUpdate(entry: Entry): Promise<Entry[]> {
    entry.firstTriedAt ??= clock.now()
    try {
      await sendUpdate(JSON.parse(entry.json), options.route, updateTransport, { signal: context.signal() })
      ledger.count('sent', [entry])
      debug(`updated ${entry.id}`)
      return []
    } catch (caught) {
      const error = caught instanceof HoneyHiveError ? caught : new NetworkError([entry.id], caught)
      if (context.signal().aborted) return [entry]
      const rule = ruleFor(updatePolicy, answerOf(error))
      if (rule.action !== 'retry' || (rule.notYet && clock.now() - entry.firstTriedAt >= updateNotFoundMs)) {
        const why = rule.notYet ? `; HoneyHive did not store event ${entry.id} within ${updateNotFoundMs / 1000} s` : ''
        ledger.reject(Object.assign(error, { message: error.message + why }), 'failed', [entry])
        return []
      }
      return keep(error, [entry])
    }
  }

  return { deliver, deliverUpdate }
}
