import { ConfigError, HoneyHiveError } from './errors.js'
import { resolveOptions } from './options.js'
import { forwardBatch } from './relay-batch.js'
import { createConsumer } from './relay-consumer.js'
import { checkRelayOptions, relayDefaults, type RelayOptions } from './relay-options.js'
import { messageBytes, sessionBytes, type QueueBatch } from './relay-queue.js'
import { createReporter, readLimited } from './relay-request.js'
import { createUpdateHandler, isUpdateBody } from './relay-update.js'
import type { Route } from './routes.js'
import { check, modelEventSchema } from './schema.js'
import type { TransportOptions } from './transport.js'

export type { Route }
export type { QueueBatch, QueueMessage, QueueProducer } from './relay-queue.js'
export type { RelayOptions } from './relay-options.js'
export { relayDefaults } from './relay-options.js'
export { createFeedbackToken, feedbackTokenDefaults, type FeedbackTokenOptions } from './feedback-token.js'

/** The part of a Workers `ExecutionContext` the relay uses. */
export interface RelayContext {
  waitUntil(promise: Promise<unknown>): void
}

/**
 * A relay: a standard fetch handler (`Deno.serve(relay)`, or `fetch: (req, env, ctx) => relay(req, ctx)`).
 * `ctx` is used only when it has `waitUntil`; any other object (Deno's serve info) is ignored.
 */
export interface Relay {
  (request: Request, ctx?: RelayContext | object): Promise<Response>
  /**
   * The Queues consumer (`queue: (batch, env, ctx) => relay.consume(batch)`): delivers the batch's events in
   * merged requests (and its queued event updates), then acks each message whose events HoneyHive took or
   * refused for good (its JSON 400/422 for an event, a 413 for one event, reported to `onError`) and retries
   * the others, reporting an answer that is not HoneyHive's with what to fix. Never rejects.
   */
  consume(batch: QueueBatch, ctx?: RelayContext | object): Promise<void>
}

// Workers end waitUntil work about 30 s after the response (field notes §3): cap server-asked waits well below.
const maxRetryAfterMs = 10_000

/**
 * Creates the relay that holds the HoneyHive key at the edge, so browsers post events (fetch or text/plain
 * beacons) without one. It takes `POST` bodies shaped like a batch request, validates them with the
 * client's schemas, stamps `project`/`source` and `event_id` where missing, and forwards them to
 * `{baseUrl}{route}` (mapped to v1 on that route) with the key through the client's transport (retries, timeouts,
 * `Retry-After`). With `ctx.waitUntil` it answers 202 at once and delivers after; without, it answers
 * HoneyHive's result. Refusals: 403 origin not allowed, 405 method, 413 body or event count, 415 content
 * type, 400 bad JSON or shape (with the reason). With `feedbackSecret` it also forwards a page's update of
 * one event (`{ event_id, feedback, token }`, PUT or POST) when the token (`createFeedbackToken`) is valid
 * for that event; otherwise 403. Throws `ConfigError` at once for a bad option.
 *
 * @example
 * const relay = createRelay({ apiKey: env.HH_API_KEY, allowedOrigins: ['https://app.example.com'] })
 * export default { fetch: (request, env, ctx) => relay(request, ctx) }
 */
export function createRelay(relayOptions: RelayOptions): Relay {
  if (typeof relayOptions !== 'object' || relayOptions === null)
    throw new ConfigError('options', 'pass an object, e.g. createRelay({ apiKey, allowedOrigins })')
  const {
    apiKey,
    allowedOrigins,
    maxBodyBytes = relayDefaults.maxBodyBytes,
    maxEvents = relayDefaults.maxEvents,
    bodyTimeoutMs = relayDefaults.bodyTimeoutMs,
    retryDelaySeconds = relayDefaults.retryDelaySeconds,
    queue,
    onError,
    feedbackSecret,
    ...rest
  } = relayOptions
  // Never echo the key's value: it may be a real key with a typo.
  if (typeof apiKey !== 'string' || apiKey.trim() === '')
    throw new ConfigError('apiKey', 'must be a non-empty string (e.g. the HH_API_KEY secret)')
  // Only undefined takes the relay's default: null is refused by resolveOptions, as for the client.
  // Server code: a relay built in a test's DOM or a server-rendered page is not a key in a browser.
  const resolved = resolveOptions({
    ...rest,
    apiKey,
    dangerouslyAllowBrowser: true,
    timeoutMs: rest.timeoutMs === undefined ? relayDefaults.timeoutMs : rest.timeoutMs,
    onError,
  })
  // With a queue, an event must fit one message: it is truncated by the client's rules to fit.
  const options = {
    ...resolved,
    sampleRate: 1,
    maxEventBytes: queue ? Math.min(resolved.maxEventBytes, messageBytes - sessionBytes) : resolved.maxEventBytes,
  }
  const stamps = check(modelEventSchema, { project: options.project, source: options.source })
  if (stamps.issues) throw new ConfigError(stamps.issues[0].path, stamps.issues[0].message)
  checkRelayOptions({ ...relayOptions, maxBodyBytes, maxEvents, bodyTimeoutMs, retryDelaySeconds })
  const allowed = new Set(allowedOrigins)
  // PUT: an event update (feedback), as HoneyHive's own update routes take it; only with a feedbackSecret.
  const methods = feedbackSecret === undefined ? ['POST', 'OPTIONS'] : ['POST', 'PUT', 'OPTIONS']
  // Refused origins already reported; bounded, since anyone can send any Origin.
  const refused = new Set<string>()
  const secrets = feedbackSecret === undefined ? [apiKey] : [apiKey, feedbackSecret]
  const redact = (text: string): string =>
    secrets.reduce((clean, secret) => clean.split(secret).join('[redacted]'), text)
  const report = createReporter(secrets, onError)
  const transport: TransportOptions = {
    ...options,
    url: options.batchUrl,
    maxRetryAfterMs,
    // After a timeout the next attempts get up to 7 s (5 + 7 + 7 + 7 s and the backoff fit in waitUntil's ~30 s).
    maxTimeoutMs: Math.max(options.timeoutMs, 7000),
    // `manual`: a redirect must not carry the key to another host or path. Said by the Request itself: a
    // `fetch` option may forward only its first argument (a service binding does).
    fetch: (input, init) => (options.fetch ?? globalThis.fetch)(new Request(input, { ...init, redirect: 'manual' })),
  }

  const base = options.batchUrl.slice(0, -options.route.length)
  const update = createUpdateHandler({ secret: feedbackSecret, route: options.route, base, transport, queue, report })
  const consume = createConsumer({
    // The queue retries (after Retry-After or its own backoff); a retry inside the consumer would only wait.
    transport: { ...transport, maxRetries: 0 },
    batchBytes: options.maxBatchBytes - 1024,
    base,
    retryDelaySeconds,
    report,
    debug: options.debug ? (message) => console.debug(`[honeyhive-edge/relay] ${redact(message)}`) : () => {},
  })

  const batchContext = { options, maxEvents, queue, transport, report }

  async function relay(request: Request, ctx?: RelayContext | object): Promise<Response> {
    const origin = request.headers.get('origin') ?? ''
    // Retry-After is not a CORS-safelisted header: without the expose, a browser client cannot honour a 429's wait.
    const cors: Record<string, string> = allowed.has(origin)
      ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'retry-after', vary: 'Origin' }
      : { vary: 'Origin' }
    const answer = (status: number, body: object | null, headers: Record<string, string> = {}) =>
      new Response(body && redact(JSON.stringify(body)), {
        status,
        headers: {
          ...cors,
          'cache-control': 'no-store',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      })
    const refuse = (status: number, message: string, headers?: Record<string, string>, extra?: object) => {
      void request.body?.cancel().catch(() => undefined)
      return answer(status, { success: false, message, ...extra }, headers)
    }

    if (!methods.includes(request.method))
      return refuse(405, `Use ${feedbackSecret ? 'POST (batches, updates) or PUT (updates)' : 'POST'}`, {
        allow: methods.join(', '),
      })
    if (!allowed.has(origin)) {
      if (request.method !== 'OPTIONS' && refused.size < 100 && !refused.has(origin)) {
        refused.add(origin)
        report(
          new HoneyHiveError(
            `Refused a ${request.method} from origin ${JSON.stringify(origin)}: not in allowedOrigins (reported once per origin)`,
          ),
        )
      }
      return refuse(403, 'Origin not allowed; add it to allowedOrigins')
    }
    if (request.method === 'OPTIONS') {
      // Only content-type: the browser never sends Authorization, the relay adds it.
      return answer(204, null, {
        'access-control-allow-methods': methods.slice(0, -1).join(', '),
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': '86400',
      })
    }
    const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
    if (type !== '' && type !== 'application/json' && type !== 'text/plain')
      return refuse(415, 'Send the batch as application/json or text/plain')
    // Content-Length can lie or be absent (chunked): it only short-cuts; the read below enforces the limit.
    if (Number(request.headers.get('content-length')) > maxBodyBytes)
      return refuse(413, `Body over ${maxBodyBytes} bytes`)
    const text = await readLimited(request.body, maxBodyBytes, bodyTimeoutMs).catch(() => '')
    if (text === undefined) return refuse(413, `Body over ${maxBodyBytes} bytes`)
    if (text === null) return refuse(408, `Body not received within ${bodyTimeoutMs} ms`)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return refuse(400, 'Body is not JSON; send a batch request: { "model_events": [...] }')
    }
    const host = ctx as Partial<RelayContext> | undefined
    if (isUpdateBody(body)) {
      const waitUntil =
        typeof host?.waitUntil === 'function' ? (promise: Promise<unknown>) => host.waitUntil!(promise) : undefined
      const reply = await update(body, waitUntil)
      return answer(reply.status, reply.body, reply.headers)
    }
    if (request.method === 'PUT')
      return refuse(405, 'PUT takes an event update ({ event_id, feedback, token }); send batches by POST', {
        allow: 'POST, OPTIONS',
      })
    const waiting = typeof host?.waitUntil === 'function' ? (host as RelayContext) : undefined
    return forwardBatch(body, waiting, { ...batchContext, answer, refuse })
  }
  return Object.assign(relay, { consume: guardConsume(consume, report) })
}

/** The consumer, reporting the unexpected, then rethrowing it so that the queue retries every message not acked yet. */
function guardConsume(consume: (batch: QueueBatch) => Promise<void>, report: (error: HoneyHiveError) => void) {
  return (batch: QueueBatch) =>
    consume(batch).catch((error) => {
      const message = 'The queue consumer failed; the batch will be retried'
      report(error instanceof HoneyHiveError ? error : new HoneyHiveError(message, [], error))
      throw error
    })
}
