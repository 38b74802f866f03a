import { byteLength } from './encode.js'
import { judgeConsumerFailure } from './consumer-policy.js'
import { backoffMs, consumerPolicy } from './policy.js'
import { DroppedError, HoneyHiveError, type HttpError } from './errors.js'
import { readMessages, type Entry } from './relay-messages.js'
import { pack, rememberedIds, type QueueBatch, type QueueMessage } from './relay-queue.js'
import { batchFrame, type Route, type SessionFields } from './routes.js'
import { forwardUpdate } from './relay-update.js'
import { sendBatch, type EventUpdate, type TransportOptions } from './transport.js'

// The durable relay's consumer (issue 13, hardened by issue 23): delivers queued events in merged requests,
// acking or retrying each message by the consumer's failure policy (consumer-policy.ts).

type Outcome = { done: true } | { done: false; delayMs?: number }

// Attempts that may have stored an event (timeouts, 500, 502, 504) before it is given up, as in the client.
const maxSends = 8
// Cloudflare's longest retry delay, 12 hours.
const maxDelaySeconds = 43_200

/** What the consumer needs from the relay. */
export interface ConsumerContext {
  /** The relay's transport, used with no retries of its own: the queue retries. */
  transport: TransportOptions
  /** Most JSON bytes of events in one upstream request. */
  batchBytes: number
  /** The upstream origin and path, without the route: the only place the key is sent. */
  base: string
  /** First retry delay in seconds, doubling per attempt up to an hour. */
  retryDelaySeconds: number
  report(error: HoneyHiveError): void
  debug(message: string): void
}

/**
 * Sends a queued event update once; resolves undefined when it is settled (delivered, or refused by
 * HoneyHive), else the wait the server asked for (0 when none) before the queue retries it.
 */
async function sendUpdateMessage(
  update: EventUpdate,
  route: Route,
  context: Pick<ConsumerContext, 'base' | 'transport' | 'report'>,
): Promise<number | undefined> {
  try {
    await forwardUpdate(update, route, context.base, context.transport)
    return undefined
  } catch (caught) {
    const error = caught as HoneyHiveError
    const { action, hint } = judgeConsumerFailure(error, 1, 0)
    if (hint) error.message += `; ${hint}`
    context.report(error)
    return action === 'retry' ? ((error as HttpError).retryAfterMs ?? 0) : undefined
  }
}

/** Forgets the oldest id past the bound (Sets and Maps keep insertion order). */
function bounded<T>(store: Set<T> | Map<T, unknown>): void {
  if (store.size > rememberedIds) store.delete(store.keys().next().value!)
}

/**
 * One transport per route, kept: a timeout lengthens the next attempts for the isolate's life. The URL is
 * the configured base and a route of ours, checked to stay on the configured origin: the key goes nowhere else.
 */
function createTransports(transport: TransportOptions, base: string): (route: Route) => TransportOptions {
  const origin = new URL(base).origin
  const transports = new Map<Route, TransportOptions>()
  return (route) => {
    const url = new URL(base + route)
    if (url.origin !== origin) {
      throw new HoneyHiveError(`Refused to send to ${url.origin}: the relay sends only to ${origin}`)
    }
    if (!transports.has(route)) transports.set(route, { ...transport, url: url.href })
    return transports.get(route)!
  }
}

/**
 * Returns the queue consumer: delivers a batch's events in as few requests as the size limits allow (one
 * per route and session fields), then acks each message whose events were all delivered or refused for
 * good by HoneyHive, and retries the others (after the server's Retry-After, else 5 s, 10 s, 20 s ... up to an hour).
 */
export function createConsumer({ transport, batchBytes, base, retryDelaySeconds, report, debug }: ConsumerContext) {
  // Events delivered, or refused for good, by this isolate: a redelivered message does not send them again.
  const settled = new Set<string>()
  // Per isolate and event: attempts that may have stored it, across redeliveries.
  const sends = new Map<string, number>()
  // The queue's waits: the table's, from the relay's `retryDelaySeconds`.
  const policy = { ...consumerPolicy, backoff: { ...consumerPolicy.backoff, firstMs: retryDelaySeconds * 1000 } }
  const transportFor = createTransports(transport, base)
  /** Settles events for good: delivered, or refused by HoneyHive. */
  const settle = (events: Entry[], outcomes: Map<string, Outcome>): void => {
    for (const event of events) {
      outcomes.set(event.id, { done: true })
      settled.add(event.id)
      bounded(settled)
    }
  }
  /** Keeps events for redelivery, or gives up those sent too often with no answer that they were stored. */
  const keep = (events: Entry[], outcomes: Map<string, Outcome>, delayMs?: number): void => {
    for (const event of events) {
      sends.set(event.id, event.sends ?? 0)
      bounded(sends)
      if ((event.sends ?? 0) < maxSends) outcomes.set(event.id, { done: false, delayMs })
      else {
        // Given up, so that HoneyHive stores no more copies.
        const why = `sent ${maxSends} times with no answer that they were stored; given up so that HoneyHive stores no more copies`
        report(new DroppedError('max_sends', why, [event.id]))
        settle([event], outcomes)
      }
    }
  }

  /**
   * Sends `events` in one request and settles each by the consumer's policy (consumer-policy.ts): halving
   * on 413 and 400/422, bisecting repeated 5xx, retrying whatever is not HoneyHive's refusal. Resolves
   * whether every event was settled. `probing` (inside a bisection) leaves a failing group to its caller.
   */
  async function deliver(
    events: Entry[],
    route: Route,
    fields: SessionFields,
    outcomes: Map<string, Outcome>,
    probing = false,
  ): Promise<boolean> {
    const before = events.map((event) => event.sends)
    // Outside the try: a refusal to send is no answer about the events (the consumer rejects, the queue retries).
    const target = transportFor(route)
    try {
      await sendBatch(events, batchFrame(route, fields), target)
      settle(events, outcomes)
      return true
    } catch (caught) {
      const error = caught as HoneyHiveError
      const left = new Set(error.eventIds)
      settle(
        events.filter((event) => !left.has(event.id)),
        outcomes,
      )
      const pending = events.filter((event) => left.has(event.id))
      const repeated = Math.max(0, ...pending.map((event) => Math.max(event.sends ?? 0, event.attempts)))
      const { action, hint, rule } = judgeConsumerFailure(error, pending.length, repeated)
      // The transport counts a 2xx page as a send; the consumer's table says it stored nothing.
      if (!rule.mayHaveStored) for (const [i, event] of events.entries()) event.sends = before[i]
      if (action === 'split') {
        // One page's refused events must not take the others down with them.
        const half = Math.ceil(pending.length / 2)
        const first = await deliver(pending.slice(0, half), route, fields, outcomes)
        return (await deliver(pending.slice(half), route, fields, outcomes)) && first
      }
      if (action === 'bisect' && probing) {
        // The caller's bisection decides: both halves failing is an outage, not one bad event.
        for (const event of pending) outcomes.set(event.id, { done: false })
        return false
      }
      if (hint) error.message += `; ${hint}`
      report(error)
      if (action === 'bisect') return bisect(pending, route, fields, outcomes)
      if (action === 'refuse') {
        settle(pending, outcomes)
        return true
      }
      keep(pending, outcomes, (error as HttpError).retryAfterMs)
      return false
    }
  }

  /**
   * Isolates the event a merged request keeps failing on (issue 23: one event with a NUL took 19 good ones
   * down): sends each half once; when one half goes through, the other holds the event and is bisected in
   * turn. Both failing is an outage: nothing more is sent, and both are kept.
   */
  async function bisect(events: Entry[], route: Route, fields: SessionFields, outcomes: Map<string, Outcome>) {
    const half = Math.ceil(events.length / 2)
    const failed: Entry[][] = []
    for (const part of [events.slice(0, half), events.slice(half)]) {
      if (!(await deliver(part, route, fields, outcomes, true))) failed.push(part)
    }
    if (failed.length === 1 && failed[0].length > 1) return bisect(failed[0], route, fields, outcomes)
    // Groups that failed in probing mode are kept here, under the sends budget.
    for (const part of failed) {
      if (part.length > 1)
        keep(
          part.filter((event) => outcomes.get(event.id)?.done === false),
          outcomes,
        )
    }
    return failed.length === 0
  }

  return async function consume(batch: QueueBatch): Promise<void> {
    const started = Date.now()
    const outcomes = new Map<string, Outcome>()
    const { groups, readable, updates } = readMessages(batch, settled, sends, report)
    let requests = 0
    for (const { route, fields, events } of groups.values()) {
      for (const chunk of pack([...events.values()], (event) => byteLength(event.json) + 1, batchBytes)) {
        requests++
        await deliver(chunk, route, fields, outcomes)
      }
    }
    let [acked, retried] = [0, 0]
    const retry = (message: QueueMessage, asked: number): void => {
      const backoff = backoffMs(policy, message.attempts) / 1000
      message.retry({ delaySeconds: asked > 0 ? Math.min(Math.ceil(asked / 1000), maxDelaySeconds) : backoff })
      retried++
    }
    for (const { message, route, update } of updates) {
      requests++
      const asked = await sendUpdateMessage(update, route, { base, transport, report })
      if (asked === undefined) {
        message.ack()
        acked++
      } else retry(message, asked)
    }
    for (const { message, ids } of readable) {
      const outcomesOf = ids.map((id) => outcomes.get(id))
      const waiting = outcomesOf.filter((outcome) => outcome && !outcome.done) as Array<{ delayMs?: number }>
      if (waiting.length === 0) {
        message.ack()
        acked++
        continue
      }
      retry(message, Math.max(0, ...waiting.map((outcome) => outcome.delayMs ?? 0)))
    }
    const counts = `${acked} acked, ${retried} retried, ${Date.now() - started} ms`
    debug(`consumed ${batch.messages.length} messages (${outcomes.size} events) in ${requests} requests: ${counts}`)
  }
}
