import { encodeEvent, isPlain, replaceValue, type EncodedEvent } from './encode.js'
import { DroppedError, ValidationError, type HoneyHiveError } from './errors.js'
import { randomId, sessionIdFor, unitHash } from './ids.js'
import type { ResolvedOptions } from './options.js'
import type { Session } from './session.js'
import { seedRoute, toV1Event, v1Route } from './routes.js'
import { check, modelEventSchema, type ModelEvent } from './schema.js'

/** Why a chain or tool event was not sent on the seed's route. */
export const treeMessage = `chain and tool events need route: '${v1Route}' (the seed's route carries model events only); model events still go, under the session`

/** What became of one logged value: encoded and ready to queue, refused (`error`), or neither (left out on purpose). */
export interface Prepared {
  id: string
  encoded?: EncodedEvent
  error?: HoneyHiveError
}

/**
 * Turns what a caller logs into a queueable event: client defaults stamped where the event has none,
 * an `event_id`, an `Error` in `error` turned into its message, then `beforeSend`, sampling, the schema
 * (unknown keys stripped), the route's mapping (routes.ts) and the encoder. Never throws.
 */
export function prepareEvent(input: unknown, options: ResolvedOptions, session?: Session): Prepared {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const id = randomId()
    return { id, error: new ValidationError([{ path: '', message: 'an event must be an object' }], [id]) }
  }
  // The defaults' keys come first so that V8 copies the input into an object of known shape; a spread
  // copy followed by new keys measured 2-3x slower per log() (bench/README.md).
  let event: Record<string, unknown> = Object.assign(
    { event_id: undefined, event_type: 'model', project: undefined, source: undefined, session_id: undefined },
    input,
  )
  const made = event.event_id == null ? (event.event_id = randomId()) : undefined
  event.event_type ??= 'model'
  event.project ??= options.project
  event.source ??= options.source
  event.session_id ??= session ? session.id : options.sessionId
  // A conversation id that is not a UUID (the AI SDK's chat ids) stands for the same UUID everywhere (ids.ts).
  const given = event.session_id
  const named = typeof given === 'string' && given !== ''
  if (named && given !== session?.id) event.session_id = sessionIdFor(given)
  // Now the client's session (a UUID checked at createClient, made here, or HoneyHive's) or a UUID from sessionIdFor.
  const stamped = named ? event.session_id : undefined
  if (event.error instanceof Error) event.error = event.error.message
  const id = String(event.event_id)
  if (options.beforeSend) {
    try {
      const result = options.beforeSend(event as ModelEvent)
      if (result === null) return { id }
      if (typeof result !== 'object' || Array.isArray(result))
        throw new TypeError('beforeSend must return an object or null')
      // The id log() returned stays the event's id.
      event = { ...result, event_id: id }
    } catch (cause) {
      // Never send an event raw when its redaction failed.
      return {
        id,
        error: new DroppedError('before_send', 'beforeSend threw; event dropped, not sent unredacted', [id], cause),
      }
    }
  }
  // By session, so a session is kept or dropped whole: the one the client started with, also after it joined the server's.
  if (options.sampleRate < 1) {
    const key = session && event.session_id === session.id ? session.sampleKey : event.session_id
    if (unitHash(String(key ?? id)) >= options.sampleRate) return { id }
  }
  // Plain data (most events) is validated and encoded as it is: one walk, then JSON.stringify (issue 20).
  const plain = isPlain(event)
  // Otherwise validate what will be sent: a Date or URL as `metadata` goes out as a string, which the server
  // refuses with the whole batch; a Set as `messages` goes out as an array.
  if (!plain)
    for (const key in event) {
      const value = event[key] as { toJSON?: (key: string) => unknown }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) continue
      if (Object.getPrototypeOf(value) === Object.prototype && typeof value.toJSON !== 'function') continue
      event[key] = replaceValue(typeof value.toJSON === 'function' ? value.toJSON(key) : value)
    }
  // Ids this client made or mapped are UUIDs by construction: the schema checks the others only (the UUID
  // pattern on both took a tenth of log(), issue 20), then they are put back. The event is our copy.
  const { event_id, session_id } = event
  if (event_id === made) event.event_id = undefined
  if (session_id === stamped) event.session_id = undefined
  const result = check(modelEventSchema, event)
  if (!result.output) return { id, error: new ValidationError(result.issues, [id]) }
  Object.assign(result.output, { event_id, session_id })
  // Keyless clients post to a relay, which knows its upstream's route and decides there (relay.ts).
  if ((result.output.event_type ?? 'model') !== 'model' && options.route === seedRoute && options.apiKey) {
    return { id, error: new DroppedError('route', treeMessage, [id]) }
  }
  const encoded = encodeEvent(
    options.route === v1Route ? toV1Event(result.output) : result.output,
    options.maxEventBytes,
    // The schema's output shares the event's values; the v1 mapping only regroups them.
    plain,
  )
  encoded.session = result.output.session_id
  return { id, encoded }
}
