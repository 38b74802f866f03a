import { createDelivery, type FlushResult, type Stats } from './delivery.js'
import { toJson } from './encode.js'
import { createSession } from './session.js'
import { ConfigError, DroppedError, HoneyHiveError, ValidationError, reporting } from './errors.js'
import { randomId } from './ids.js'
import { deadline, resolveOptions, shutdownTimeoutMs, type ClientOptions, type FlushOptions } from './options.js'
import { prepareEvent } from './prepare.js'
import { spanParent, type ModelEventSpan, type SpanParent } from './spans.js'
import {
  batchRequestSchema,
  check,
  isUuid,
  modelEventSchema,
  sessionPropertiesSchema,
  type BatchResponse,
  type ModelEvent,
} from './schema.js'
import { batchFrame, seedRoute } from './routes.js'
import { sendBatch } from './transport.js'
import { watchPageHide } from './unload.js'

/** The object `createClient` returns. */
export interface HoneyHiveClient extends SpanParent {
  /**
   * The session stamped on events without a `session_id`: the `sessionId` option, else one UUID made for
   * this client. If the server answers its first accepted batch with another session (a `single_session`
   * request makes its own), the client's later events join that one and this says so.
   */
  readonly sessionId: string
  /** Queues one model event; returns its `event_id` at once. Never throws: problems go to `onError`. */
  log(event: ModelEvent): string
  /**
   * Starts timing a model call; `end()` or `fail()` logs it once with `start_time`, `end_time`, `duration`.
   * `startChain` and `startTool` start the other events of HoneyHive's tree (they need the v1 route, or a
   * relay whose upstream is v1); `tool(name, inputs, run)` logs one tool event around `run`.
   */
  startModelEvent(init?: ModelEvent): ModelEventSpan
  /**
   * Sends everything queued so far, waiting for batches in flight; resolves what became of those events.
   * Never rejects. With `timeoutMs`, resolves by then at the latest: what is left stays queued.
   */
  flush(options?: FlushOptions): Promise<FlushResult>
  /**
   * Flushes within `timeoutMs` (default 10 s), then stops timers and listeners, aborts what is in flight and
   * drops what could not go (reported, counted in `dropped`); later `log()` calls are reported, not sent.
   */
  shutdown(options?: FlushOptions): Promise<FlushResult>
  /**
   * Adds the user's feedback on a logged event (HoneyHive's convention: `rating`, `comment`, `ground_truth`;
   * anything else is kept) to its `feedback`. While the event is still queued here it is merged into it (no
   * extra request); otherwise HoneyHive's event update is sent through the same queue and failure policy (a
   * 404 tried again for up to 60 s: HoneyHive stores events asynchronously). Without an `apiKey` (a page) the
   * update goes to the relay with `token`, made by your server with `createFeedbackToken`. Never throws.
   */
  feedback(eventId: string, feedback: Feedback, options?: FeedbackOptions): void
  /** Running totals since creation. */
  stats(): Stats
  /**
   * Sends one batch now, outside the queue: validated, retried per the failure policy, never split.
   * Events lacking them get an `event_id` and the client's `project`, `source` and `sessionId`.
   * Resolves the validated response; rejects with `ValidationError`, `HttpError`, `NetworkError`,
   * `TimeoutError` or `InvalidResponseError`.
   */
  createModelEventBatch(body: unknown): Promise<BatchResponse>
}

/** Feedback on an event, as HoneyHive takes it: `rating`, `comment`, `ground_truth`, and anything else. */
export interface Feedback {
  rating?: number | boolean
  comment?: string
  ground_truth?: unknown
  [field: string]: unknown
}

/** Options of `feedback()`. */
export interface FeedbackOptions {
  /** The token your server made for this event (`createFeedbackToken`), for a client without a key posting through a relay. */
  token?: string
}

const noop = (): void => {}

/**
 * Creates a client. No timer or request starts until the first event; in browsers it adds the page-hide
 * listeners and resends events an earlier page left in storage.
 * Throws `ConfigError` at once for a bad option.
 *
 * @example
 * const hh = createClient({ apiKey: process.env.HH_API_KEY, project: 'chat' })
 * hh.log({ model: 'gpt-4o', provider: 'openai', messages, response })
 * await hh.flush()
 */
export function createClient(clientOptions?: ClientOptions): HoneyHiveClient {
  // Read-only from here on: the session, the engine and the transport keep their own state.
  const options = Object.freeze(resolveOptions(clientOptions))
  const stamp = check(modelEventSchema, {
    session_id: options.sessionId,
    project: options.project,
    source: options.source,
  }).issues?.[0]
  if (stamp) throw new ConfigError(stamp.path === 'session_id' ? 'sessionId' : stamp.path, stamp.message)
  const props =
    options.sessionProperties === undefined
      ? undefined
      : check(sessionPropertiesSchema, options.sessionProperties).issues?.[0]
  if (props) throw new ConfigError('sessionProperties', `${props.path} ${props.message}`.trim())
  const { debug, report } = reporting(options)
  // One session per client, made when first needed (never at createClient: nothing random runs before use).
  const session = createSession(options)
  const page = watchPageHide(options, report, debug)
  const delivery = createDelivery({ options, session, report, debug, keepalive: page?.keepalive })
  page?.attach(delivery)
  let closed: Promise<FlushResult> | undefined
  let routeReported = false

  /** log(), reading the event inside its guard: `read` may throw (a revoked proxy, a throwing getter). */
  function record(read: () => ModelEvent, id = ''): string {
    try {
      const event = read()
      id ||= String(event?.event_id ?? '')
      if (closed) {
        id ||= randomId()
        delivery.reject(new DroppedError('shutdown', 'log() after shutdown(): not sent', [id]))
        return id
      }
      const { id: given, encoded, error } = prepareEvent(event, options, session)
      id = given
      // A chain or tool on the seed's route: reported once per client, counted every time.
      if (error && (error as DroppedError).reason === 'route' && routeReported)
        delivery.reject(error, 'dropped', undefined, true)
      else if (error) delivery.reject(error)
      routeReported ||= (error as DroppedError)?.reason === 'route'
      if (encoded?.truncated) debug(`truncated ${id}`)
      if (encoded) {
        delivery.enqueue(encoded)
        page?.logged()
      }
    } catch (cause) {
      // A throwing getter or toJSON in the caller's data.
      delivery.reject(new HoneyHiveError('Unreadable event: a getter or toJSON threw', [(id ||= randomId())], cause))
    }
    return id
  }
  const log = (event: ModelEvent): string => record(() => event)

  // Spans started by the client hang under its session; on the seed's route with a key, parents never arrive.
  const spans = spanParent({ record, report, tree: options.route !== seedRoute || !options.apiKey })

  async function createModelEventBatch(body: unknown): Promise<BatchResponse> {
    if (closed) throw new DroppedError('shutdown', 'createModelEventBatch() after shutdown(): not sent', [])
    // As in log(): an Error given as `error` is sent as its message.
    const given = (body as { model_events?: Array<{ error?: unknown }> })?.model_events
    if (Array.isArray(given))
      body = {
        ...(body as object),
        model_events: given.map((event) =>
          event?.error instanceof Error ? { ...event, error: event.error.message } : event,
        ),
      }
    const result = check(batchRequestSchema, body)
    if (!result.output) throw new ValidationError(result.issues)
    const { model_events, ...fields } = result.output
    const events = model_events.map((event) => prepareEvent(event, { ...options, sampleRate: 1 }, session))
    const refused = events.find((event) => event.error)?.error
    if (refused) throw refused
    const encoded = events.flatMap((event) => event.encoded ?? [])
    // Nothing to create (none given, or beforeSend dropped them all): no request.
    if (encoded.length === 0) return { event_ids: [], success: true }
    // The body's own session fields, else the client's (which go with its first accepted batch only).
    const own = Object.keys(fields).length > 0
    const answer = await sendBatch(encoded, own ? batchFrame(options.route, fields) : session.frame, delivery.transport)
    if (!own) session.accept(answer, () => [])
    return answer
  }

  function feedback(eventId: string, fields: Feedback, feedbackOptions?: FeedbackOptions): void {
    const id = typeof eventId === 'string' ? eventId : ''
    try {
      if (closed) return delivery.reject(new DroppedError('shutdown', 'feedback() after shutdown(): not sent', [id]))
      const issue = !isUuid(eventId)
        ? { path: 'event_id', message: 'must be the UUID of a logged event' }
        : typeof fields !== 'object' || fields === null || Array.isArray(fields)
          ? { path: 'feedback', message: 'must be an object ({ rating, comment, ground_truth, ... })' }
          : !options.apiKey && typeof feedbackOptions?.token !== 'string'
            ? {
                path: 'token',
                message:
                  'is needed without an apiKey: the relay forwards feedback only with a token your server made (createFeedbackToken)',
              }
            : undefined
      if (issue) return delivery.reject(new ValidationError([issue], [id]))
      // Encoded safely (cycles, BigInt, Error) as any event field is.
      const given = JSON.parse(toJson(fields)) as Feedback
      const merged = delivery.merge(eventId, (event) => {
        event.feedback = { ...(event.feedback as Feedback), ...given }
      })
      if (merged) return debug(`feedback merged into queued ${eventId}`)
      const update = { event_id: eventId, feedback: given, ...(!options.apiKey && { token: feedbackOptions!.token }) }
      delivery.enqueueUpdate(eventId, toJson(update))
      page?.logged()
    } catch (cause) {
      delivery.reject(new HoneyHiveError('Unreadable feedback: a getter or toJSON threw', [id], cause))
    }
  }

  return {
    get sessionId() {
      return session.id
    },
    log,
    feedback,
    ...spans,
    // After shutdown() nothing is sent any more: flush() answers what shutdown() did.
    flush: (flushOptions) => closed ?? delivery.flush(deadline(flushOptions)),
    stats: delivery.stats,
    createModelEventBatch,
    shutdown: (flushOptions) => {
      delivery.stop()
      page?.stop()
      // What could not go within the deadline is dropped now, not queued.
      return (closed ??= delivery.close(deadline(flushOptions) ?? shutdownTimeoutMs, 'shutdown()'))
    },
  }
}
