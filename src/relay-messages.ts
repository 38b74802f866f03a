import { toJson } from './encode.js'
import { HoneyHiveError } from './errors.js'
import type { Body, QueueBatch, QueueMessage } from './relay-queue.js'
import type { UpdateMessage } from './relay-update.js'
import { seedRoute, v1Route, type Route, type SessionFields } from './routes.js'
import { isUuid } from './schema.js'
import type { EventUpdate, WireEvent } from './transport.js'

// What the durable relay's consumer takes from a queue: only messages shaped as its producer's (issue 23:
// a message from anyone else, or edited, must never send the key anywhere).

/** An event as the consumer sends it: its deliveries by the queue so far (the most of its messages'). */
export interface Entry extends WireEvent {
  attempts: number
}

/** A message's route, when it is one the relay knows: anything else (another producer's, an edited replay) is never sent. */
const knownRoute = (route: unknown): Route | undefined => (route === seedRoute || route === v1Route ? route : undefined)
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isEvent = (event: unknown): boolean => isObject(event) && isUuid(event.event_id)
const isFields = (fields: unknown): boolean => fields === undefined || isObject(fields)

/** What a consumer batch holds: events grouped into requests, the messages that carry them, updates. */
export interface Read {
  groups: Map<string, { route: Route; fields: SessionFields; events: Map<string, Entry> }>
  readable: Array<{ message: QueueMessage; ids: string[] }>
  updates: Array<{ message: QueueMessage; route: Route; update: EventUpdate }>
}

/**
 * Reads a batch's messages: events of the same route merge (a message with session fields goes alone),
 * events settled already by this isolate are left out; a message not shaped as the relay's own is acked,
 * reported and never sent.
 */
export function readMessages(
  batch: QueueBatch,
  settled: Set<string>,
  sends: Map<string, number>,
  report: (error: HoneyHiveError) => void,
): Read {
  const groups = new Map<string, { route: Route; fields: SessionFields; events: Map<string, Entry> }>()
  const readable: Array<{ message: QueueMessage; ids: string[] }> = []
  const updates: Array<{ message: QueueMessage; route: Route; update: EventUpdate }> = []
  const placed = new Map<string, Entry>()
  for (const message of batch.messages) {
    const body = message.body as Partial<Body & UpdateMessage> | null
    const route = knownRoute(body?.route)
    if (route && isObject(body!.update) && isUuid(body!.update!.event_id)) {
      updates.push({ message, route, update: body!.update! })
      continue
    }
    if (!route || !Array.isArray(body!.events) || !body!.events.every(isEvent) || !isFields(body!.fields)) {
      // Not from this relay's producer (another producer, a dashboard send, an edited replay): never sent.
      const expected = `UUID event ids, route '${seedRoute}' or '${v1Route}'`
      report(
        new HoneyHiveError(
          `Queue message ${message.id} is not a relay batch or update (${expected}); acked and dropped`,
        ),
      )
      message.ack()
      continue
    }
    const ids = body!.events.map((event) => String(event.event_id))
    readable.push({ message, ids })
    // Messages with session fields of their own go alone: those fields apply to a whole request.
    const key = body!.fields ? message.id : route
    const group = groups.get(key) ?? { route, fields: body!.fields ?? {}, events: new Map() }
    groups.set(key, group)
    // An event delivered already (a redelivered message, or a page's retry after a partial enqueue) is not sent
    // again, nor one placed from another message of this batch, also of another group: each message's fate
    // comes from its events' outcomes, whichever request carried them.
    for (const event of body!.events) {
      const id = String(event.event_id)
      const entry = placed.get(id)
      if (entry) entry.attempts = Math.max(entry.attempts, message.attempts)
      else if (!settled.has(id)) {
        placed.set(id, { id, json: toJson(event), sends: sends.get(id), attempts: message.attempts })
        group.events.set(id, placed.get(id)!)
      }
    }
  }
  return { groups, readable, updates }
}
