import { byteLength, toJson } from './encode.js'
import type { Route, SessionFields } from './routes.js'
import type { WireEvent } from './transport.js'

// The durable relay's producer and message format (issue 13; the consumer is relay-consumer.ts): pages' events go into a Cloudflare Queue before the relay answers 202, and
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
export interface Body {
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
export const rememberedIds = 50_000

/** Packs `items` (with their byte sizes) into groups of at most `maxBytes` and `maxCount`, in order. */
export function pack<T>(items: T[], size: (item: T) => number, maxBytes: number, maxCount = Infinity): T[][] {
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
export async function enqueue(
  queue: QueueProducer,
  route: Route,
  events: WireEvent[],
  fields: SessionFields,
): Promise<void> {
  const messages = pack(events, (event) => byteLength(event.json) + 1, messageBytes - byteLength(toJson(fields))).map(
    (group) => {
      const body: Body = {
        route,
        events: group.map((event) => JSON.parse(event.json)),
        ...(Object.keys(fields).length > 0 && { fields }),
      }
      return { body, contentType: 'json' as const, bytes: byteLength(toJson(body)) }
    },
  )
  for (const chunk of pack(messages, (message) => message.bytes, sendBatchBytes, sendBatchCount)) {
    await queue.sendBatch(chunk.map(({ body, contentType }) => ({ body, contentType })))
  }
}
