import { createDelivery, type FlushResult, type Stats } from './delivery.js'
import { ConfigError, DroppedError, HoneyHiveError, ValidationError, redactSecret } from './errors.js'
import { randomId } from './ids.js'
import { resolveOptions, shutdownTimeoutMs, type ClientOptions } from './options.js'
import { prepareEvent } from './prepare.js'
import { spanParent, type ModelEventSpan, type SpanParent } from './spans.js'
import { batchRequestSchema, check, modelEventSchema, sessionPropertiesSchema, type BatchResponse, type ModelEvent } from './schema.js'
import { batchFrame, seedRoute } from './routes.js'
import { sendBatch } from './transport.js'
import { watchPageHide, type PageHooks } from './unload.js'

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
      session()
      const { id: given, encoded, error } = prepareEvent(event, options)
      id = given
      // A chain or tool on the seed's route: reported once per client, counted every time.
      if (error && (error as DroppedError).reason === 'route' && routeReported) delivery.reject(error, 'dropped', undefined, true)
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
    ...spans,
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
