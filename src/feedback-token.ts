import { ConfigError } from './errors.js'
import { isUuid } from './schema.js'

// Keyless feedback (issue 19): the server that logged a reply mints a token for that one event; the relay
// forwards a page's update of the event with its key only when the token is valid for that very event and
// not expired. HMAC-SHA-256 with Web Crypto (every runtime the relay runs in has it), checked with
// `crypto.subtle.verify`, which compares in constant time.

/** Options of `createFeedbackToken`. */
export interface FeedbackTokenOptions {
  /** The relay's `feedbackSecret` (at least 32 characters, e.g. `openssl rand -base64 32`). Never sent to a page. */
  secret: string
  /** The `event_id` the page may update: the logged reply's. */
  eventId: string
  /** How long the token is valid, in ms, from now. @default 86400000 (24 hours) */
  ttlMs?: number
}

/** Token defaults: valid for 24 hours, at most 30 days. */
export const feedbackTokenDefaults = {
  ttlMs: 24 * 60 * 60 * 1000,
  maxTtlMs: 30 * 24 * 60 * 60 * 1000,
  minSecretLength: 32,
}

const encoder = new TextEncoder()
// What is signed: a fixed label (a token means nothing elsewhere), the event id (lower case, as UUIDs
// compare) and the expiry.
const signed = (eventId: string, expiresAtMs: number): BufferSource =>
  encoder.encode(`honeyhive-edge feedback v1\n${eventId.toLowerCase()}\n${expiresAtMs}`)
const toBase64Url = (bytes: ArrayBuffer): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
const fromBase64Url = (text: string): BufferSource =>
  Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (char) => char.charCodeAt(0))

/** Checks a feedback secret; throws a `ConfigError` naming `option`, never quoting the secret. */
export function checkFeedbackSecret(secret: unknown, option: string): asserts secret is string {
  if (typeof secret !== 'string' || secret.length < feedbackTokenDefaults.minSecretLength) {
    const length = feedbackTokenDefaults.minSecretLength
    const example = '`openssl rand -base64 32`'
    throw new ConfigError(
      option,
      `must be a string of at least ${length} random characters (e.g. ${example}), kept on the server`,
    )
  }
}

/** Imports the HMAC key of a secret, for signing and verifying. */
export const importFeedbackKey = (secret: string): Promise<CryptoKey> =>
  crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])

/**
 * Makes a token that lets a page send feedback on one logged event through the relay
 * (`createRelay({ feedbackSecret })`) without a key: `<expiresAtMs>.<HMAC-SHA-256, base64url>` over the
 * event id and the expiry. Run it on the server that logged the reply, with the relay's secret, and hand the
 * token to the page with the reply (with the AI SDK: message metadata). Throws `ConfigError` for a bad
 * option (the secret is never quoted).
 *
 * @example
 * const token = await createFeedbackToken({ secret: env.HH_FEEDBACK_SECRET, eventId })
 * // page: hh.feedback(eventId, { rating: 1 }, { token })
 */
export async function createFeedbackToken(options: FeedbackTokenOptions): Promise<string> {
  const { secret, eventId, ttlMs = feedbackTokenDefaults.ttlMs } = (options ?? {}) as FeedbackTokenOptions
  checkFeedbackSecret(secret, 'secret')
  if (!isUuid(eventId)) throw new ConfigError('eventId', 'must be the event_id (a UUID) of the logged event')
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > feedbackTokenDefaults.maxTtlMs) {
    throw new ConfigError('ttlMs', `must be a whole number of ms from 1 to ${feedbackTokenDefaults.maxTtlMs} (30 days)`)
  }
  const expiresAtMs = Date.now() + ttlMs
  const mac = await crypto.subtle.sign('HMAC', await importFeedbackKey(secret), signed(eventId, expiresAtMs))
  return `${expiresAtMs}.${toBase64Url(mac)}`
}

/** Why a token was not accepted, or `undefined` when it is valid for `eventId` at `now`. */
export async function checkFeedbackToken(key: CryptoKey, eventId: string, token: unknown, now = Date.now()) {
  // A SHA-256 MAC is 32 bytes: 43 base64url characters.
  const parts = typeof token === 'string' ? /^(\d{1,16})\.([\w-]{43})$/.exec(token) : null
  if (!parts) return 'no feedback token, or not one made by createFeedbackToken'
  const expiresAtMs = Number(parts[1])
  // Checked first so that an expired token never costs a MAC (it leaks nothing: the expiry is in the clear).
  if (expiresAtMs <= now) return 'the feedback token has expired; mint a new one with createFeedbackToken'
  const valid = await crypto.subtle.verify('HMAC', key, fromBase64Url(parts[2]), signed(eventId, expiresAtMs))
  return valid ? undefined : 'the feedback token is not valid for this event'
}
