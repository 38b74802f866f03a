import { ConfigError, type HoneyHiveError } from './errors.js'
import { sessionIdFor } from './ids.js'
import { seedRoute, v1Route, type Route } from './routes.js'
import type { ModelEvent, SessionProperties } from './schema.js'

/** A `fetch`-compatible function. */
export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>

/** Options of `createClient`. Every one is optional; defaults are listed with each. */
export interface ClientOptions {
  /**
   * HoneyHive API key, sent as `Authorization: Bearer <apiKey>`. Omit in browsers that post through a relay:
   * in a page a key is refused unless `dangerouslyAllowBrowser` is set.
   */
  apiKey?: string
  /**
   * Lets a client in a web page (where `document` and `window` exist) hold an `apiKey`. Anyone who opens the
   * page can read the key and write to your project, so post through a relay (`honeyhive-edge/relay`) instead;
   * set this only where the key is meant to be seen (an internal tool, a test page). Workers, Deno, Bun and Node
   * need no such flag. @default false
   */
  dangerouslyAllowBrowser?: boolean
  /** API origin, with an optional path; the route is appended. @default 'https://api.honeyhive.ai' */
  baseUrl?: string
  /**
   * Where batches go and in which format: `'/events/model/batch'` (the seed's body) or `'/v1/events/batch'`
   * (HoneyHive's current route: fields where its UI renders them). Needs an `apiKey`: through a relay,
   * set the route on the relay. @default '/events/model/batch'
   */
  route?: Route
  /** Stamped on events that have no `project`. */
  project?: string
  /** Stamped on events that have no `source` (conventionally `production`, `staging`, `dev`). */
  source?: string
  /**
   * Stamped as `session_id` on events that have none: a UUID, or any other id of the conversation (a chat id),
   * which becomes the same UUID wherever it is given (`sessionIdFor`: UUIDv5 in `sessionNamespace`).
   * @default one UUID per client (`hh.sessionId`)
   */
  sessionId?: string
  /** Sent as `single_session` with the first batch the server accepts. */
  singleSession?: boolean
  /** Sent as `session_properties` with the first batch the server accepts. */
  sessionProperties?: SessionProperties
  /** Queued events that trigger a send, in the next task (never inside log() while the queue has room); also the most events in one request. @default 20 */
  flushAt?: number
  /** Longest an event waits in the queue before it is sent, in ms. @default 2000 */
  flushIntervalMs?: number
  /** Most JSON bytes in one request; bigger batches are cut. At least `maxEventBytes + 1024`. @default 512 KiB (524288), or `maxEventBytes + 1024` when that is larger */
  maxBatchBytes?: number
  /** JSON bytes of one event; larger events are truncated to about this, largest fields first. @default 256 KiB (262144), or `maxBatchBytes - 1024` when that is smaller */
  maxEventBytes?: number
  /** Most events held; when full, the oldest is dropped and reported. @default 1000 */
  maxQueueSize?: number
  /** Retries per request after the first attempt. @default 3 */
  maxRetries?: number
  /** Time limit of one attempt, in ms, answer body included; doubled after each timeout (up to 60 s, or this when larger). @default 10000 */
  timeoutMs?: number
  /** Longest wait honoured from a `Retry-After` header, in ms. @default 60000 */
  maxRetryAfterMs?: number
  /** Where page-hide beacons go. @default the batch URL when there is no `apiKey` */
  beaconUrl?: string
  /** The `fetch` used for every request. @default globalThis.fetch, looked up at call time */
  fetch?: FetchLike
  /** Redact or drop an event before it is queued: return the event to send, or null to drop it. */
  beforeSend?: (event: ModelEvent) => ModelEvent | null
  /** Share of sessions to keep, 0..1, decided by `session_id` (else `event_id`). @default 1 */
  sampleRate?: number
  /** Receives every failure that happens in the background. @default none (failures are only counted) */
  onError?: (error: HoneyHiveError) => void
  /** Logs batches sent, retries, truncations and errors with `console.debug`. Never logs the API key. @default false */
  debug?: boolean
}

/** The defaults of `ClientOptions`, in one place. */
export const defaults = {
  baseUrl: 'https://api.honeyhive.ai',
  route: seedRoute as Route,
  flushAt: 20,
  flushIntervalMs: 2000,
  maxBatchBytes: 512 * 1024,
  maxEventBytes: 256 * 1024,
  maxQueueSize: 1000,
  maxRetries: 3,
  timeoutMs: 10_000,
  maxRetryAfterMs: 60_000,
  sampleRate: 1,
  debug: false,
}

/** How long `shutdown()`, and the delivery before a Node, Bun or Deno script ends, may take by default, in ms. */
export const shutdownTimeoutMs = 10_000

/** Options of `flush()` and `shutdown()`. */
export interface FlushOptions {
  /** Resolve by then at the latest, in ms (Workers end `waitUntil` work ~30 s after the response). @default none for flush(), 10000 for shutdown() */
  timeoutMs?: number
}

/**
 * A usable deadline, or undefined: anything but a number from 0 up is ignored, also options that throw when
 * read (a revoked proxy), so flush() and shutdown() never throw or reject.
 */
export const deadline = (options?: FlushOptions): number | undefined => {
  let ms: unknown
  try {
    ms = options?.timeoutMs
  } catch {}
  return typeof ms === 'number' && ms >= 0 ? Math.min(ms, 2 ** 31 - 1) : undefined
}

// Every option's name, for the typo check (the rest are the keys of `defaults`).
const names = Object.keys(defaults).concat(
  'apiKey dangerouslyAllowBrowser project source sessionId singleSession sessionProperties beaconUrl fetch beforeSend onError'.split(
    ' ',
  ),
)

/** Edit distance, to suggest the option a misspelt one meant. */
function distance(a: string, b: string): number {
  let above = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 0; i < a.length; i++) {
    const row = [i + 1]
    for (let j = 0; j < b.length; j++)
      row.push(Math.min(above[j + 1] + 1, row[j] + 1, above[j] + (a[i] === b[j] ? 0 : 1)))
    above = row
  }
  return above[b.length]
}

export type ResolvedOptions = Omit<ClientOptions, keyof typeof defaults> &
  typeof defaults & {
    batchUrl: string
    /** The client's first session, once it joined one the server made: sampling still decides by it. */
    sampledSession?: string
  }

/** Applies the defaults and checks every option; throws `ConfigError` naming the first bad one. */
export function resolveOptions(options: ClientOptions = {}): ResolvedOptions {
  const fail = (option: string, message: string): never => {
    throw new ConfigError(option, message)
  }
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object')
  for (const key of Object.keys(options)) {
    if (names.includes(key)) continue
    const near = names
      .map((name) => [distance(key.toLowerCase(), name.toLowerCase()), name] as const)
      .sort((a, b) => a[0] - b[0])[0]
    fail(key, `is not an option${near[0] <= Math.max(2, key.length * 0.4) ? `; did you mean \`${near[1]}\`?` : ''}`)
  }
  // An option given as undefined takes its default (null is a bad value, as for any other type).
  const resolved = { ...options } as ResolvedOptions & Record<string, unknown>
  const { maxBatchBytes, maxEventBytes } = options
  // One of the two byte limits given alone: the other follows it rather than contradict it.
  if (maxBatchBytes === undefined)
    resolved.maxBatchBytes = Math.max(
      defaults.maxBatchBytes,
      (Number.isInteger(maxEventBytes) ? maxEventBytes! : 0) + 1024,
    )
  if (maxEventBytes === undefined)
    resolved.maxEventBytes = Math.min(defaults.maxEventBytes, resolved.maxBatchBytes - 1024)
  for (const key in defaults) if (resolved[key] === undefined) resolved[key] = defaults[key as keyof typeof defaults]
  // Timers take at most 2^31-1 ms: a larger value fires at once or fails every send.
  const least = {
    flushAt: 1,
    flushIntervalMs: 1,
    maxQueueSize: 1,
    timeoutMs: 1,
    maxRetries: 0,
    maxRetryAfterMs: 0,
    maxBatchBytes: 2048,
    maxEventBytes: 1024,
  }
  for (const [key, min] of Object.entries(least)) {
    const value = resolved[key] as number
    if (!Number.isInteger(value) || value < min || value > 2 ** 31 - 1)
      fail(key, `must be a whole number from ${min} to 2147483647`)
  }
  if (resolved.maxBatchBytes < resolved.maxEventBytes + 1024)
    fail(
      'maxBatchBytes',
      `must be at least maxEventBytes + 1024 (maxBatchBytes ${resolved.maxBatchBytes}, maxEventBytes ${resolved.maxEventBytes})`,
    )
  if (!(typeof resolved.sampleRate === 'number' && resolved.sampleRate >= 0 && resolved.sampleRate <= 1))
    fail('sampleRate', 'must be a number from 0 to 1')
  // Never echo the key: it may be a real key with a typo.
  for (const key of ['apiKey', 'beaconUrl', 'sessionId']) {
    if (resolved[key] !== undefined && !(resolved[key] as string)?.trim?.()) fail(key, 'must be a non-empty string')
  }
  const types = {
    fetch: 'function',
    beforeSend: 'function',
    onError: 'function',
    singleSession: 'boolean',
    debug: 'boolean',
    dangerouslyAllowBrowser: 'boolean',
  }
  for (const [key, type] of Object.entries(types)) {
    if (resolved[key] !== undefined && typeof resolved[key] !== type) fail(key, `must be a ${type}`)
  }
  // Conversation ids are often not UUIDs (the AI SDK's chat ids): one id, one session, in every runtime.
  if (resolved.sessionId !== undefined) resolved.sessionId = sessionIdFor(resolved.sessionId)
  // A page's source is public: a key in it is anyone's. Workers, Deno, Bun and Node have no document.
  if (resolved.apiKey && globalThis.document && !resolved.dangerouslyAllowBrowser) {
    fail(
      'apiKey',
      'is readable by anyone in a web page: post through a relay (honeyhive-edge/relay), or set dangerouslyAllowBrowser: true',
    )
  }
  let url: URL | undefined
  try {
    url = new URL(resolved.baseUrl)
  } catch {}
  if (!/^https?:$/.test(url?.protocol as string)) fail('baseUrl', 'must be an http(s) URL')
  // Not echoed: a query or credentials may hold a secret.
  if (url!.search || url!.hash || url!.username || url!.password || /[?#]/.test(resolved.baseUrl))
    fail('baseUrl', 'must have no query, fragment or credentials: give the origin and an optional path')
  if (resolved.route !== seedRoute && resolved.route !== v1Route)
    fail('route', `must be '${seedRoute}' or '${v1Route}'`)
  // The relay takes the seed's shape from pages and forwards in its own route: a keyless client needs no route.
  if (resolved.route === v1Route && !resolved.apiKey)
    fail('route', `'${v1Route}' needs an apiKey; through a relay, set route on createRelay`)
  resolved.batchUrl = `${url!.origin}${url!.pathname.replace(/\/+$/, '')}${resolved.route}`
  return resolved
}
