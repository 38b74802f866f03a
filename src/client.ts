import { toJson } from './encode.js'
import { createDelivery, type FlushResult, type Stats } from './delivery.js'
import { ConfigError, DroppedError, HoneyHiveError, ValidationError, redactSecret } from './errors.js'
import { randomId } from './ids.js'
import { resolveOptions, shutdownTimeoutMs, type ClientOptions } from './options.js'
import { prepareEvent } from './prepare.js'
import { batchRequestSchema, check, modelEventSchema, sessionPropertiesSchema, type BatchResponse, type ModelEvent } from './schema.js'
import { batchFrame } from './routes.js'
import { sendBatch } from './transport.js'
import { watchPageHide, type PageHooks } from './unload.js'

/** What `end(result)` may add to a model event: any of its fields; they override all but `event_id`. */
export type ModelEventResult = Partial<ModelEvent>

/** A model call being timed; see `startModelEvent`. */
export interface ModelEventSpan {
  /** The id the event will have. */
  readonly event_id: string
  /** Ends the call: sets `end_time` and `duration`, merges `result` (`response`, `usage`, `outputs`...), logs it. */
  end(result?: ModelEventResult): string
  /** Ends the call as failed: sets `error` to the message of `error`, then logs it like `end`. */
  fail(error: unknown, result?: ModelEventResult): string
  /**
   * Marks the first token (the first non-empty output of a stream): the event gets
   * `metadata.time_to_first_token_ms`, ms since `startModelEvent` on a monotonic clock. Later calls are ignored.
   */
  firstToken(): void
}

/** The object `createClient` returns. */
export interface HoneyHiveClient {
  /**
   * The session stamped on events without a `session_id`: the `sessionId` option, else one UUID made for
   * this client. If the server answers its first accepted batch with another session (a `single_session`
   * request makes its own), the client's later events join that one and this says so.
   */
  readonly sessionId: string
  /** Queues one model event; returns its `event_id` at once. Never throws: problems go to `onError`. */
  log(event: ModelEvent): string
  /** Starts timing a model call; `end()` or `fail()` logs it once with `start_time`, `end_time`, `duration`. */
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

/** Options of `flush()` and `shutdown()`. */
export interface FlushOptions {
  /** Resolve by then at the latest, in ms (Workers end `waitUntil` work ~30 s after the response). @default none for flush(), 10000 for shutdown() */
  timeoutMs?: number
}

const noop = (): void => {}
/** A usable deadline, or undefined: anything but a number from 0 up is ignored (flush() never rejects). */
const deadline = (options?: FlushOptions): number | undefined => {
  const ms = options?.timeoutMs
  return typeof ms === 'number' && ms >= 0 ? Math.min(ms, 2 ** 31 - 1) : undefined
}

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
  const options = resolveOptions(clientOptions)
  const stamp = check(modelEventSchema, { session_id: options.sessionId, project: options.project, source: options.source }).issues?.[0]
  if (stamp) throw new ConfigError(stamp.path === 'session_id' ? 'sessionId' : stamp.path, stamp.message)
  const props = options.sessionProperties === undefined ? undefined : check(sessionPropertiesSchema, options.sessionProperties).issues?.[0]
  if (props) throw new ConfigError('sessionProperties', `${props.path} ${props.message}`.trim())
  // An upstream may quote the key back (a proxy, a WAF): no log line or error carries it.
  const { apiKey } = options
  const debug = options.debug ? (message: string) => console.debug(`[honeyhive-edge] ${apiKey ? message.split(apiKey).join('[redacted]') : message}`) : noop
  const report = (error: HoneyHiveError): void => {
    redactSecret(error, apiKey)
    debug(String(error))
    try {
      // An async onError that rejects must not become an unhandled rejection in the host either.
      void Promise.resolve(options.onError?.(error)).catch(noop)
    } catch {
      // onError is the caller's code; a throw there must not reach the code that logged.
    }
  }
  let page: PageHooks | undefined
  const delivery = createDelivery(options, report, debug, (bytes) => page?.keepalive(bytes))
  page = watchPageHide({ options, delivery, report, debug })
  // One session per client, made when first needed (never at createClient: nothing random runs before use).
  const session = (): string => (options.sessionId ??= randomId())
  let closed: Promise<FlushResult> | undefined

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
      session()
      const { id: given, encoded, error } = prepareEvent(event, options)
      id = given
      if (error) delivery.reject(error)
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

  function startModelEvent(init?: ModelEvent): ModelEventSpan {
    const startedAt = performance.now()
    const start_time = Date.now()
    let event_id = randomId()
    try {
      event_id = init?.event_id ?? event_id
    } catch {
      // A revoked proxy or throwing getter as init: the span keeps its own id, end() reports the rest.
    }
    let ended = false
    let firstTokenMs: number | undefined
    const finish = (read: () => ModelEventResult | undefined): string => {
      // Marked ended before logging: onError or beforeSend may call end() again from inside log().
      if (ended) report(new DroppedError('already_ended', `end()/fail() again on ${event_id}: ignored`, [event_id]))
      else {
        ended = true
        record(() => {
          const event: ModelEvent = { ...init, start_time, end_time: Date.now(), duration: performance.now() - startedAt, ...read(), event_id }
          // A metadata that is not an object is left for the schema to refuse.
          if (firstTokenMs !== undefined && typeof (event.metadata ?? {}) == 'object') event.metadata = { time_to_first_token_ms: firstTokenMs, ...event.metadata }
          return event
        }, event_id)
      }
      return event_id
    }
    return {
      event_id,
      end: (result) => finish(() => result),
      // An Error is sent as its message, as in log().
      fail: (error, result) => finish(() => ({ ...result, error: error instanceof Error || typeof error === 'string' ? (error as string) : toJson(error) })),
      firstToken: () => void (firstTokenMs ??= performance.now() - startedAt),
    }
  }

  async function createModelEventBatch(body: unknown): Promise<BatchResponse> {
    if (closed) throw new DroppedError('shutdown', 'createModelEventBatch() after shutdown(): not sent', [])
    // As in log(): an Error given as `error` is sent as its message.
    const given = (body as { model_events?: Array<{ error?: unknown }> })?.model_events
    if (Array.isArray(given)) body = { ...(body as object), model_events: given.map((event) => (event?.error instanceof Error ? { ...event, error: event.error.message } : event)) }
    const result = check(batchRequestSchema, body)
    if (!result.output) throw new ValidationError(result.issues)
    const { model_events, ...fields } = result.output
    session()
    const events = model_events.map((event) => prepareEvent(event, { ...options, sampleRate: 1 }))
    const refused = events.find((event) => event.error)?.error
    if (refused) throw refused
    const encoded = events.flatMap((event) => event.encoded ?? [])
    // Nothing to create (none given, or beforeSend dropped them all): no request.
    if (encoded.length === 0) return { event_ids: [], success: true }
    // The body's own session fields, else the client's (which go with its first accepted batch only).
    const own = Object.keys(fields).length > 0
    const answer = await sendBatch(encoded, own ? batchFrame(options.route, fields) : delivery.frame, delivery.transport)
    if (!own) delivery.accept(answer)
    return answer
  }

  return {
    get sessionId() {
      return session()
    },
    log,
    startModelEvent,
    // After shutdown() nothing is sent any more: flush() answers what shutdown() did.
    flush: (flushOptions) => closed ?? delivery.flush(deadline(flushOptions)),
    stats: delivery.stats,
    createModelEventBatch,
    shutdown: (flushOptions) => {
      delivery.stop()
      page?.stop()
      // What could not go within the deadline is dropped now, not queued.
      return (closed ??= delivery.flush(deadline(flushOptions) ?? shutdownTimeoutMs, 'shutdown()'))
    },
  }
}
