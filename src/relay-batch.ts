import { toJson } from './encode.js'
import { HoneyHiveError, HttpError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import { prepareEvent } from './prepare.js'
import { enqueue, sessionBytes, type QueueProducer } from './relay-queue.js'
import { modelEventsOnly, sharedSession } from './relay-request.js'
import { batchFrame, seedRoute, type SessionFields } from './routes.js'
import { batchRequestSchema, check } from './schema.js'
import { sendBatch, type TransportOptions } from './transport.js'

// The relay's answer to a page's batch (relay.ts has read and checked the request): validate, stamp, then
// deliver at once, in waitUntil, or through the queue.

/** What forwarding a batch needs from the relay. */
export interface BatchContext {
  options: ResolvedOptions & { sampleRate: number }
  maxEvents: number
  queue?: QueueProducer
  transport: TransportOptions
  report: (error: HoneyHiveError) => void
  answer(status: number, body: object | null, headers?: Record<string, string>): Response
  refuse(status: number, message: string, headers?: Record<string, string>, extra?: object): Response
}

/** Forwards a page's parsed batch `body`; `host` is the request's context when it has `waitUntil`. */
export async function forwardBatch(
  body: unknown,
  host: { waitUntil(promise: Promise<unknown>): void } | undefined,
  { options, maxEvents, queue, transport, report, answer, refuse }: BatchContext,
): Promise<Response> {
  const result = check(batchRequestSchema, body)
  if (!result.output)
    return refuse(400, result.issues.map((issue) => `${issue.path || 'body'}: ${issue.message}`).join('; '))
  const { model_events: posted, ...session } = result.output
  // max_events: the client learns the relay's count at once rather than by halving (sender.ts).
  if (posted.length > maxEvents) {
    return refuse(413, `More than ${maxEvents} events in one request; send fewer`, {}, { max_events: maxEvents })
  }
  const model_events = options.route === seedRoute ? modelEventsOnly(posted, report) : posted
  const events = model_events.flatMap((event) => prepareEvent(event, options).encoded ?? [])
  if (events.length === 0) return answer(200, { event_ids: [], success: true })
  const eventIds = events.map((event) => event.id)
  const later = queue || host !== undefined
  // A page's batch with session fields (its first) is delivered at once even with a queue or waitUntil:
  // HoneyHive's answer names the session the page must join (a single_session request makes one).
  const own = Object.keys(session).length > 0
  let failure: HoneyHiveError | undefined
  if (own || !later) {
    try {
      return answer(200, await sendBatch(events, batchFrame(options.route, session), transport))
    } catch (caught) {
      failure = caught as HoneyHiveError
      report(failure)
    }
  }
  // Session fields go with every message of the batch: too big for a message, they get the failure answer.
  if (queue && !(own && failure && toJson(session).length > sessionBytes)) {
    // A page's first batch queued during an outage stays in the page's own session (issue 23): the page is
    // told that session, and the batch is queued without single_session, which would make another one.
    const joined = own ? sharedSession(model_events) : undefined
    const { single_session, is_single_session, ...properties } = session
    const fields: SessionFields = joined ? properties : session
    try {
      await enqueue(queue, options.route, events, fields)
    } catch (cause) {
      report(new HoneyHiveError('The queue refused the events; the page was told to retry (503)', eventIds, cause))
      return refuse(503, 'Could not queue the events; retry later', { 'retry-after': '5' })
    }
    return answer(202, { event_ids: eventIds, success: true, ...(joined && { session_id: joined }) })
  }
  if (!failure) {
    host!.waitUntil!(sendBatch(events, batchFrame(options.route, session), transport).catch(report))
    return answer(202, { event_ids: eventIds, success: true })
  }
  // A 429 keeps its status and wait, so the browser client backs off; anything else is the upstream's fault.
  if (failure instanceof HttpError && failure.status === 429) {
    const wait: Record<string, string> =
      failure.retryAfterMs === undefined ? {} : { 'retry-after': String(Math.ceil(failure.retryAfterMs / 1000)) }
    return refuse(429, 'HoneyHive is rate limiting; retry later', wait)
  }
  return refuse(
    502,
    `HoneyHive did not accept the batch (${failure instanceof HttpError ? `status ${failure.status}` : failure.name})`,
  )
}
