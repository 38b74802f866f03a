import { byteLength, toJson } from './encode.js'
import { DroppedError, HoneyHiveError, HttpError, InvalidResponseError } from './errors.js'
import { batchFrame, type Route, type SessionFields } from './routes.js'
import { retryStatuses, sendBatch, type TransportOptions, type WireEvent } from './transport.js'

// The durable relay (issue 13): pages' events go into a Cloudflare Queue before the relay answers 202, and
// the Worker's queue handler delivers them to HoneyHive in merged requests, acking or retrying each message.
// Limits from Cloudflare's docs (developers.cloudflare.com/queues/platform/limits, December 2026): a message
// is at most 128 KB (1 KB = 1000 B, ~100 B of it metadata); sendBatch takes at most 100 messages and 256 KB.

/** A Cloudflare Queues producer binding (`env.HH_EVENTS`), structurally: only `sendBatch` is used. */
export interface QueueProducer {
  sendBatch(messages: Iterable<{ body: unknown; contentType?: 'json' }>): Promise<unknown>
}

/** One message of a Queues consumer batch, structurally. */
export interface QueueMessage {
  readonly id: string
  readonly body: unknown
  /** Deliveries so far, this one included (1 on the first). */
  readonly attempts: number
  ack(): void
  retry(options?: { delaySeconds?: number }): void
}

/** A Queues consumer batch (`queue(batch, env, ctx)`), structurally. */
export interface QueueBatch {
  readonly queue?: string
  readonly messages: readonly QueueMessage[]
}

/** What one message carries: the events as the relay will send them, its route, the page's session fields. */
interface Body {
  route: Route
  events: Array<Record<string, unknown>>
  fields?: SessionFields
}

/** Most bytes of events and session fields in one message, under 128 KB with room for the envelope and metadata. */
export const messageBytes = 120_000
/** Most bytes of a page's session fields the queue carries (they go with every message of its batch). */
export const sessionBytes = 8192
const sendBatchBytes = 250_000
const sendBatchCount = 100
/** Delivered event ids remembered per isolate, against the queue's own redelivery. */
const rememberedIds = 50_000

/** Packs `items` (with their byte sizes) into groups of at most `maxBytes` and `maxCount`, in order. */
function pack<T>(items: T[], size: (item: T) => number, maxBytes: number, maxCount = Infinity): T[][] {
  const groups: T[][] = []
  let bytes = Infinity
  for (const item of items) {
    const itemBytes = size(item)
    if (bytes + itemBytes > maxBytes || groups[groups.length - 1].length >= maxCount) (groups.push([]), (bytes = 0))
    groups[groups.length - 1].push(item)
    bytes += itemBytes
  }
  return groups
}

/** Puts a page's validated events into the queue, in as few messages as fit; rejects when the queue refuses. */
export async function enqueue(queue: QueueProducer, route: Route, events: WireEvent[], fields: SessionFields): Promise<void> {
  const messages = pack(events, (event) => byteLength(event.json) + 1, messageBytes - byteLength(toJson(fields))).map((group) => {
    const body: Body = { route, events: group.map((event) => JSON.parse(event.json)), ...(Object.keys(fields).length > 0 && { fields }) }
    return { body, contentType: 'json' as const, bytes: byteLength(toJson(body)) }
  })
  for (const chunk of pack(messages, (message) => message.bytes, sendBatchBytes, sendBatchCount)) {
    await queue.sendBatch(chunk.map(({ body, contentType }) => ({ body, contentType })))
  }
}

type Outcome = { done: true } | { done: false; delayMs?: number }

// 401, 403 and 404 (HoneyHive's answer to a rejected key since 2026-09-22) say the relay is misconfigured, not
// that an event is bad: retried, so that a wrong or rotated key never acks a backlog away.
const keyStatuses = [401, 403, 404]
// Attempts that may have stored an event (timeouts, 500, 502, 504) before it is given up, as in the client.
const maxSends = 8
// Cloudflare's longest retry delay, 12 hours.
const maxDelaySeconds = 43_200

export interface ConsumerContext {
  /** The relay's transport, used with no retries of its own: the queue retries. */
  transport: TransportOptions
  /** Most JSON bytes of events in one upstream request. */
  batchBytes: number
  /** The upstream origin and path, without the route. */
  base: string
  /** First retry delay in seconds, doubling per attempt up to an hour. */
  retryDelaySeconds: number
  report(error: HoneyHiveError): void
  debug(message: string): void
}

/**
 * Returns the queue consumer: delivers a batch's events in as few requests as the size limits allow (one
 * per route and session fields), then acks each message whose events were all delivered or refused for
 * good, and retries the others (after the server's Retry-After, else 5 s, 10 s, 20 s ... up to an hour).
 */
export function createConsumer({ transport, batchBytes, base, retryDelaySeconds, report, debug }: ConsumerContext) {
  // Events delivered, or refused for good, by this isolate: a redelivered message does not send them again.
  const settled = new Set<string>()
  // Per isolate and event: attempts that may have stored it, across redeliveries.
  const sends = new Map<string, number>()
  const bounded = <T>(store: Set<T> | Map<T, unknown>): void => {
    // Oldest first: Sets and Maps keep insertion order.
    if (store.size > rememberedIds) store.delete(store.keys().next().value!)
  }
  const remember = (id: string): void => {
    settled.add(id)
    bounded(settled)
  }
  // One transport per route, kept: a timeout lengthens the next attempts for the isolate's life.
  const transports = new Map<Route, TransportOptions>()
  const transportFor = (route: Route): TransportOptions => {
    if (!transports.has(route)) transports.set(route, { ...transport, url: base + route })
    return transports.get(route)!
  }

  /** Sends `events` in one request, halving on 413 (and bisecting a 400/422 to find the refused events); settles each. */
  async function deliver(events: WireEvent[], route: Route, fields: SessionFields, outcomes: Map<string, Outcome>): Promise<void> {
    try {
      await sendBatch(events, batchFrame(route, fields), transportFor(route))
      for (const event of events) (outcomes.set(event.id, { done: true }), remember(event.id))
    } catch (caught) {
      const error = caught as HoneyHiveError
      const left = new Set(error.eventIds)
      for (const event of events) if (!left.has(event.id)) (outcomes.set(event.id, { done: true }), remember(event.id))
      const pending = events.filter((event) => left.has(event.id))
      const status = (error as HttpError).status
      if (error instanceof InvalidResponseError) {
        report(error)
        for (const event of pending) (outcomes.set(event.id, { done: true }), remember(event.id))
      } else if ((status === 413 || status === 400 || status === 422) && pending.length > 1) {
        // One page's refused events must not take the others down with them.
        const half = Math.ceil(pending.length / 2)
        await deliver(pending.slice(0, half), route, fields, outcomes)
        await deliver(pending.slice(half), route, fields, outcomes)
      } else if (status && !retryStatuses.includes(status) && !keyStatuses.includes(status)) {
        // Refused for good: acked (a retry would be refused again), and reported with its status.
        report(error)
        for (const event of pending) (outcomes.set(event.id, { done: true }), remember(event.id))
      } else {
        report(error)
        for (const event of pending) {
          sends.set(event.id, event.sends ?? 0)
          bounded(sends)
          if ((event.sends ?? 0) < maxSends) outcomes.set(event.id, { done: false, delayMs: (error as HttpError).retryAfterMs })
          else {
            // Sent this often with no answer that it was stored: given up, so HoneyHive stores no more copies.
            report(new DroppedError('max_sends', `sent ${maxSends} times with no answer that they were stored; given up so that HoneyHive does not store more copies`, [event.id]))
            outcomes.set(event.id, { done: true })
            remember(event.id)
          }
        }
      }
    }
  }

  return async function consume(batch: QueueBatch): Promise<void> {
    const started = Date.now()
    const outcomes = new Map<string, Outcome>()
    const groups = new Map<string, { route: Route; fields: SessionFields; events: Map<string, WireEvent> }>()
    const readable: Array<{ message: QueueMessage; ids: string[] }> = []
    for (const message of batch.messages) {
      const body = message.body as Body
      const readableEvent = (event: unknown): boolean => typeof event === 'object' && event !== null && typeof (event as { event_id?: unknown }).event_id === 'string'
      if (!Array.isArray(body?.events) || typeof body.route !== 'string' || !body.events.every(readableEvent)) {
        report(new HoneyHiveError(`Queue message ${message.id} is not a relay batch; acked and dropped`))
        message.ack()
        continue
      }
      const ids = body.events.map((event) => String(event.event_id))
      readable.push({ message, ids })
      // Messages with session fields of their own go alone: those fields apply to a whole request.
      const key = body.fields ? message.id : body.route
      const group = groups.get(key) ?? { route: body.route, fields: body.fields ?? {}, events: new Map() }
      groups.set(key, group)
      // An event delivered already (a redelivered message, or a page's retry after a partial enqueue) is not sent again.
      for (const event of body.events) {
        const id = String(event.event_id)
        if (!settled.has(id)) group.events.set(id, { id, json: toJson(event), sends: sends.get(id) })
      }
    }
    let requests = 0
    for (const { route, fields, events } of groups.values()) {
      for (const chunk of pack([...events.values()], (event) => byteLength(event.json) + 1, batchBytes)) {
        requests++
        await deliver(chunk, route, fields, outcomes)
      }
    }
    let [acked, retried] = [0, 0]
    for (const { message, ids } of readable) {
      const waiting = ids.map((id) => outcomes.get(id)).filter((outcome) => outcome && !outcome.done) as Array<{ delayMs?: number }>
      if (waiting.length === 0) {
        message.ack()
        acked++
        continue
      }
      const asked = Math.max(0, ...waiting.map((outcome) => outcome.delayMs ?? 0))
      const backoff = Math.min(retryDelaySeconds * 2 ** (message.attempts - 1), 3600)
      message.retry({ delaySeconds: asked > 0 ? Math.min(Math.ceil(asked / 1000), maxDelaySeconds) : backoff })
      retried++
    }
    debug(`consumed ${batch.messages.length} messages (${outcomes.size} events) in ${requests} requests: ${acked} acked, ${retried} retried, ${Date.now() - started} ms`)
  }
}
