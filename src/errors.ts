import { toJson } from './encode.js'
import type { Issue } from './schema.js'

/**
 * The base of every error this library reports or throws. `eventIds` lists the events involved
 * (empty when none are). Check with `isHoneyHiveError(error)` across realms, where `instanceof` fails.
 */
export class HoneyHiveError extends Error {
  override name: string = 'HoneyHiveError'
  readonly eventIds: string[]
  constructor(message: string, eventIds: string[] = [], cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.eventIds = eventIds
  }
}

/** A client or relay option is wrong. Thrown synchronously by `createClient` / `createRelay`. */
export class ConfigError extends HoneyHiveError {
  override name = 'ConfigError' as const
  /** The option at fault, e.g. `flushAt`. */
  declare readonly option: string
  constructor(option: string, message: string) {
    super(`Invalid option \`${option}\`: ${message}`)
    this.option = option
  }
}

/** An event or request body breaks the contract; nothing of it was sent. */
export class ValidationError extends HoneyHiveError {
  override name = 'ValidationError' as const
  /** Every problem found, each with its dotted field path. */
  declare readonly issues: Issue[]
  constructor(issues: Issue[], eventIds?: string[]) {
    super(`Not sent, invalid: ${issues.map((i) => (i.path ? `${i.path}: ` : '') + i.message).join('; ')}`, eventIds)
    this.issues = issues
  }
}

/** The server answered with a status that is not 2xx. */
export class HttpError extends HoneyHiveError {
  override name = 'HttpError' as const
  /** The HTTP status, e.g. 429. */
  declare readonly status: number
  /** The response body: parsed JSON when it was JSON, else the text (or undefined when empty). */
  declare readonly body: unknown
  /** How long the server asked us to wait (`Retry-After`), in ms, when it said. */
  declare readonly retryAfterMs: number | undefined
  constructor(status: number, body: unknown, eventIds: string[], retryAfterMs?: number, cause?: unknown) {
    // What HoneyHive said: a JSON error's message, or a short text body (v1 declares no 400 body).
    const said = typeof body === 'string' ? body.slice(0, 300) : (body as { message?: unknown })?.message
    // Since 2026-09-22 HoneyHive answers a rejected key (or a permission failure) with 404.
    super(
      `HoneyHive answered ${status}${said ? `: ${said}` : ''}${status === 404 ? '; check the API key (HoneyHive answers 404 to a rejected key) and `route`' : ''}`,
      eventIds,
      cause,
    )
    Object.assign(this, { status, body, retryAfterMs })
  }
}

/** The request never got an answer: offline, DNS, connection refused or reset. */
export class NetworkError extends HoneyHiveError {
  override name = 'NetworkError' as const
  constructor(eventIds: string[], cause?: unknown) {
    super('Could not reach HoneyHive; check the network and `baseUrl`', eventIds, cause)
  }
}

/** An attempt took longer than `timeoutMs`. */
export class TimeoutError extends HoneyHiveError {
  override name = 'TimeoutError' as const
  constructor(eventIds: string[], cause?: unknown) {
    super('HoneyHive did not answer within `timeoutMs`', eventIds, cause)
  }
}

/** A 2xx answer whose body breaks the contract (`{ event_ids, success }`). The events were probably created. */
export class InvalidResponseError extends HoneyHiveError {
  override name = 'InvalidResponseError' as const
  /** The body as received. */
  declare readonly body: unknown
  constructor(body: unknown, eventIds: string[]) {
    super('HoneyHive answered 2xx without `{ event_ids, success }`', eventIds)
    this.body = body
  }
}

/** Why the client gave up on an event without asking the server. */
export type DropReason =
  | 'queue_full'
  | 'shutdown'
  | 'before_send'
  | 'already_ended'
  | 'storage'
  | 'max_sends'
  /** A chain or tool event on the seed's route, which carries model events only. */
  | 'route'

/** The client dropped events without sending them; `reason` says why. */
export class DroppedError extends HoneyHiveError {
  override name = 'DroppedError' as const
  declare readonly reason: DropReason
  constructor(reason: DropReason, message: string, eventIds: string[], cause?: unknown) {
    super(message, eventIds, cause)
    this.reason = reason
  }
}

/**
 * True for any error of this library, also across realms (iframes, workers) where `instanceof` fails:
 * an object with a `name` ending in `Error` and an `eventIds` array.
 */
export function isHoneyHiveError(error: unknown): error is HoneyHiveError {
  const { name, eventIds } = (error ?? {}) as Partial<HoneyHiveError>
  return error instanceof HoneyHiveError || (/Error$/.test(name!) && Array.isArray(eventIds))
}

/**
 * Removes `secret` (an API key) from everything an error can carry to a log or an error tracker: its
 * message and stack, an `HttpError`'s body (a proxy or gateway may quote the key) and its cause; also as JSON
 * writes it (a key with a line break, which fetch's Headers quote in their error, found in a cause).
 */
export function redactSecret<T extends HoneyHiveError>(error: T, secret: string | undefined): T {
  const scrub = (value: unknown): unknown => {
    try {
      if (!secret) return value
      const string = typeof value === 'string'
      const before = (string ? value : toJson(value)) ?? ''
      let text = before
      for (const form of [secret, JSON.stringify(secret).slice(1, -1)]) text = text.split(form).join('[redacted]')
      return text === before ? value : string ? text : JSON.parse(text)
    } catch {
      // Unreadable (a throwing toJSON): nothing of it is kept.
      return '[unreadable]'
    }
  }
  const carrier = error as T & { body?: unknown; cause?: unknown }
  for (const key of ['message', 'stack', 'body', 'cause'] as const)
    if (carrier[key] !== undefined) (carrier as Record<string, unknown>)[key] = scrub(carrier[key])
  return error
}

const noop = (): void => {}

/** The client's debug lines and onError reports. An upstream may quote the key back (a proxy, a WAF): neither carries it. */
export function reporting({
  apiKey,
  debug: on,
  onError,
}: {
  apiKey?: string
  debug?: boolean
  onError?: (error: HoneyHiveError) => unknown
}) {
  const debug = on
    ? (message: string) =>
        console.debug(`[honeyhive-edge] ${apiKey ? message.split(apiKey).join('[redacted]') : message}`)
    : noop
  let depth = 0
  const report = (error: HoneyHiveError): void => {
    redactSecret(error, apiKey)
    debug(String(error))
    // onError gets what its own calls raise (a span ended twice), but not what theirs raise in turn: an
    // onError that logs every report after shutdown() would recurse until the stack ran out.
    if (depth > 1) return
    depth++
    try {
      // An async onError that rejects must not become an unhandled rejection in the host either.
      void Promise.resolve(onError?.(error)).catch(noop)
    } catch {
      // onError is the caller's code; a throw there must not reach the code that logged.
    } finally {
      depth--
    }
  }
  return { debug, report }
}
