import { ConfigError, type HoneyHiveError } from './errors.js'
import { checkFeedbackSecret } from './feedback-token.js'
import type { FetchLike } from './options.js'
import type { QueueProducer } from './relay-queue.js'
import { isOrigin } from './relay-request.js'
import type { Route } from './routes.js'

// The relay's options and their defaults, in one place (the rest are the client's, see `ClientOptions`).

/** Options of `createRelay`. `apiKey` and `allowedOrigins` are required. */
export interface RelayOptions {
  /** HoneyHive API key, added upstream as `Authorization: Bearer <apiKey>`. Never sent back or logged. */
  apiKey: string
  /** Exact browser origins allowed to post (`https://app.example.com`); no wildcards. Others get 403. */
  allowedOrigins: string[]
  /** The only upstream: the route is appended. @default 'https://api.honeyhive.ai' */
  baseUrl?: string
  /**
   * The upstream route and format: `'/events/model/batch'` (as pages post it) or `'/v1/events/batch'`
   * (HoneyHive's current route; events are mapped where its UI renders them). Pages always post the seed's
   * shape. @default '/events/model/batch'
   */
  route?: Route
  /** Largest request body accepted, in bytes, counted while reading; larger gets 413. @default 524288 (512 KiB) */
  maxBodyBytes?: number
  /** Most events in one request; more gets 413, so the client halves its batch. @default 100 */
  maxEvents?: number
  /** Longest wait for a request's whole body, in ms; a body trickled slower gets 408. @default 10000 */
  bodyTimeoutMs?: number
  /** Stamped on events that have no `project`. */
  project?: string
  /** Stamped on events that have no `source`. */
  source?: string
  /** The `fetch` used upstream. @default globalThis.fetch, looked up at call time */
  fetch?: FetchLike
  /** Time limit of one upstream attempt, in ms. @default 5000 (all attempts fit in Workers' ~30 s of waitUntil without Retry-After waits) */
  timeoutMs?: number
  /** Upstream retries after the first attempt. @default 3 */
  maxRetries?: number
  /**
   * Receives upstream failures (key-free, without `cause`) and, once per origin, posts from an origin not in
   * `allowedOrigins` (a wrong list otherwise loses every beacon in silence: `sendBeacon` cannot see a 403).
   * @default logs the message with console.error
   */
  onError?: (error: HoneyHiveError) => void
  /**
   * A Cloudflare Queues producer binding (`env.HH_EVENTS`). With it the relay answers 202 only once a page's
   * events are in the queue (503 with Retry-After when the queue refuses, so the page keeps them), and
   * `relay.consume(batch)` delivers them from the Worker's `queue` handler. @default none (deliver in `waitUntil`)
   */
  queue?: QueueProducer
  /** With `queue`: the first retry delay of a message HoneyHive did not take, doubling per attempt up to an hour (a Retry-After wins). @default 5 */
  retryDelaySeconds?: number
  /** Logs each consumer batch (messages, events, requests, outcome) with `console.debug`; never the key. @default false */
  debug?: boolean
  /**
   * The secret of `createFeedbackToken` (at least 32 characters, e.g. `openssl rand -base64 32`): with it the
   * relay forwards a page's update of one event (`{ event_id, feedback, token }`, by PUT or POST) with its
   * key when the token is valid for that very event and not expired; otherwise 403, nothing forwarded.
   * Never sent back or logged. @default none (event updates are refused with 403)
   */
  feedbackSecret?: string
}

/** Relay defaults, in one place (the rest are the client's, see `ClientOptions`). */
export const relayDefaults = {
  maxBodyBytes: 512 * 1024,
  maxEvents: 100,
  timeoutMs: 5000,
  bodyTimeoutMs: 10_000,
  retryDelaySeconds: 5,
}

/**
 * Checks the relay's own options (the client's are checked by `resolveOptions`); throws a `ConfigError`
 * naming the first bad one, never quoting a key or secret.
 */
export function checkRelayOptions(options: RelayOptions & Omit<typeof relayDefaults, 'timeoutMs'>): void {
  const { apiKey, allowedOrigins, maxBodyBytes, maxEvents, bodyTimeoutMs, queue, retryDelaySeconds, feedbackSecret } =
    options
  const fail = (option: string, message: string): never => {
    throw new ConfigError(option, message)
  }
  if (!Array.isArray(allowedOrigins) || allowedOrigins.length === 0) {
    fail('allowedOrigins', "list the exact origins allowed, e.g. ['https://app.example.com']")
  }
  const bad = allowedOrigins.find((origin) => !isOrigin(origin))
  if (bad !== undefined)
    fail('allowedOrigins', `${JSON.stringify(bad)} is not an exact origin (scheme://host[:port], no path, no wildcard)`)
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024)
    fail('maxBodyBytes', 'must be a whole number of bytes, at least 1024')
  if (!Number.isInteger(maxEvents) || maxEvents < 1) fail('maxEvents', 'must be a whole number above 0')
  if (!Number.isInteger(bodyTimeoutMs) || bodyTimeoutMs < 1 || bodyTimeoutMs > 2 ** 31 - 1) {
    fail('bodyTimeoutMs', 'must be a whole number of ms from 1 to 2147483647')
  }
  if (queue !== undefined && typeof (queue as QueueProducer)?.sendBatch !== 'function') {
    fail('queue', 'must be a Queues producer binding (env.HH_EVENTS), with sendBatch()')
  }
  if (!(retryDelaySeconds >= 1 && retryDelaySeconds <= 3600))
    fail('retryDelaySeconds', 'must be a number of seconds from 1 to 3600')
  if (feedbackSecret !== undefined) checkFeedbackSecret(feedbackSecret, 'feedbackSecret')
  // The secret is shared with the servers that mint tokens; the key must stay in the relay alone.
  if (feedbackSecret === apiKey) fail('feedbackSecret', 'must be its own random secret, not the API key')
}
