import { HoneyHiveError, HttpError } from './errors.js'
import { checkFeedbackToken, importFeedbackKey } from './feedback-token.js'
import { updatePolicy } from './policy.js'
import type { QueueProducer } from './relay-queue.js'
import type { Route } from './routes.js'
import { isUuid } from './schema.js'
import { sendUpdate, type EventUpdate, type TransportOptions } from './transport.js'

// A page's update of one logged event (issue 19: feedback on a reply) through the relay, which adds its key
// only for a valid token for that very event. The wire, as the client sends it keyless: a JSON (or text/plain,
// for beacons) body `{ event_id, feedback?, metadata?, metrics?, user_properties?, token }`, by PUT or POST.

/** The fields a page may merge into an event: its reaction, never what the server logged (outputs, config, timings). */
export const pageUpdateFields = ['feedback', 'metadata', 'metrics', 'user_properties']

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A body is an update, not a batch, when it names one event and carries no events. */
export const isUpdateBody = (body: unknown): body is Record<string, unknown> =>
  isObject(body) && 'event_id' in body && !('model_events' in body) && !('events' in body)

/** What the relay answers a page. */
export interface Reply {
  status: number
  body: { success: boolean; message?: string }
  headers?: Record<string, string>
}

/** What the update handler needs from the relay. */
export interface UpdateContext {
  /** The relay's `feedbackSecret`; without it updates are refused. */
  secret?: string
  route: Route
  /** The upstream base URL, without the route. */
  base: string
  transport: TransportOptions
  queue?: QueueProducer
  report(error: HoneyHiveError): void
}

/** The message body of a queued update: its route and the update, token removed. */
export interface UpdateMessage {
  route: Route
  update: EventUpdate
}

/** Sends one update upstream with the event-update policy (a 404 is retried: the event may not be stored yet). */
export const forwardUpdate = (
  update: EventUpdate,
  route: Route,
  base: string,
  transport: TransportOptions,
): Promise<void> => sendUpdate(update, route, { ...transport, base, keyless: false, policy: updatePolicy })

/**
 * Returns the relay's handler of page updates: refuses (403) without a `feedbackSecret` or a valid token for
 * the event, (400) a bad shape; then forwards the update without its token: in `waitUntil` or through the
 * queue (202), else at once (HoneyHive's result).
 */
export function createUpdateHandler({ secret, route, base, transport, queue, report }: UpdateContext) {
  // Imported on the first update only: nothing runs at module scope or in createRelay (Workers forbid it there).
  let key: Promise<CryptoKey> | undefined
  return async function update(
    body: Record<string, unknown>,
    waitUntil?: (promise: Promise<unknown>) => void,
  ): Promise<Reply> {
    const refuse = (status: number, message: string, headers?: Record<string, string>): Reply => {
      return { status, body: { success: false, message }, headers }
    }
    if (secret === undefined) {
      return refuse(
        403,
        'This relay takes no event updates: set feedbackSecret on createRelay to accept feedback with tokens',
      )
    }
    const { token, ...update } = body
    if (!isUuid(update.event_id)) return refuse(400, 'event_id: must be the UUID of the event to update')
    const extra = Object.keys(update).filter((name) => name !== 'event_id' && !pageUpdateFields.includes(name))
    if (extra.length > 0)
      return refuse(400, `${extra.join(', ')}: a page may update only ${pageUpdateFields.join(', ')}`)
    const bad = pageUpdateFields.find((name) => update[name] !== undefined && !isObject(update[name]))
    if (bad) return refuse(400, `${bad}: must be a plain object`)
    key ??= importFeedbackKey(secret)
    const why = await checkFeedbackToken(await key, update.event_id as string, token)
    if (why) return refuse(403, `Refused: ${why}`)
    const verified = update as EventUpdate
    if (queue) {
      const message: UpdateMessage = { route, update: verified }
      try {
        await queue.sendBatch([{ body: message, contentType: 'json' }])
      } catch (cause) {
        const ids = [verified.event_id]
        report(new HoneyHiveError('The queue refused an event update; the page was told to retry (503)', ids, cause))
        return refuse(503, 'Could not queue the update; retry later', { 'retry-after': '5' })
      }
      return { status: 202, body: { success: true } }
    }
    if (waitUntil) {
      waitUntil(forwardUpdate(verified, route, base, transport).catch(report))
      return { status: 202, body: { success: true } }
    }
    try {
      await forwardUpdate(verified, route, base, transport)
      return { status: 200, body: { success: true } }
    } catch (caught) {
      const failure = caught as HoneyHiveError
      report(failure)
      if (failure instanceof HttpError && failure.status === 429) {
        const after = failure.retryAfterMs
        const wait = after === undefined ? undefined : { 'retry-after': String(Math.ceil(after / 1000)) }
        return refuse(429, 'HoneyHive is rate limiting; retry later', wait)
      }
      const what = failure instanceof HttpError ? `status ${failure.status}` : failure.name
      return refuse(502, `HoneyHive did not take the update (${what})`)
    }
  }
}
