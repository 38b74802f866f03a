import { encodeEvent, isPlain, replaceValue, type EncodedEvent } from './encode.js'
import { DroppedError, ValidationError, type HoneyHiveError } from './errors.js'
import { randomId, sessionIdFor, unitHash } from './ids.js'
import type { ResolvedOptions } from './options.js'
import type { Session } from './session.js'
import { seedRoute, toV1Event, v1Route } from './routes.js'
import { check, isUuid, knownFields, modelEventSchema, type ModelEvent } from './schema.js'

/** Why a chain or tool event was not sent on the seed's route. */
export const treeMessage = `chain and tool events need route: '${v1Route}' (the seed's route carries model events only); model events still go, under the session`

/** What became of one logged value: encoded and ready to queue, refused (`error`), or neither (left out on purpose). */
export interface Prepared {
  id: string
  encoded?: EncodedEvent
  error?: HoneyHiveError
}

/** The client's defaults, where the event has none (also null): its own copy or the schema's output. */
function stamp(event: Record<string, unknown>, options: ResolvedOptions, session?: Session): ModelEvent {
  event.event_id ??= randomId()
  event.event_type ??= 'model'
  event.project ??= options.project
  event.source ??= options.source
  event.session_id ??= session ? session.id : options.sessionId
  return event
}

/**
 * Whether the event is plain data once mapped for the route: the v1 mapping moves some fields one level
 * down (`messages` to `inputs.chat_history`), so there the walk starts one level deep.
 */
const plainFor = (event: object, options: ResolvedOptions): boolean => isPlain(event, options.route === v1Route ? 1 : 0)

/** Whether sampling leaves the event out: by session, so a session is kept or dropped whole. */
function sampledOut(event: ModelEvent, options: ResolvedOptions, session?: Session): boolean {
  if (options.sampleRate >= 1) return false
  // The session the client started with decides, also after it joined the server's.
  const key = session && event.session_id === session.id ? session.sampleKey : event.session_id
  return unitHash(String(key ?? event.event_id)) >= options.sampleRate
}

/**
 * Turns what a caller logs into a queueable event: client defaults stamped where the event has none,
 * an `event_id`, an `Error` in `error` turned into its message, then `beforeSend`, sampling, the schema
 * (unknown keys stripped), the route's mapping (routes.ts) and the encoder. Never throws.
 *
 * Two ways through, the same fields (in another order). Most events have no `beforeSend` to pass and a
 * session id that needs no mapping, and are plain data: the schema checks the caller's object as it is and
 * the defaults are stamped on its output, our own copy (copying first measured 1.3 µs more per log(), issue
 * 20). Anything else, or anything the schema refuses there, is copied and stamped first and goes the full
 * way, which also reports it.
 */
export function prepareEvent(input: unknown, options: ResolvedOptions, session?: Session): Prepared {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const id = randomId()
    return { id, error: new ValidationError([{ path: '', message: 'an event must be an object' }], [id]) }
  }
  const given = (input as ModelEvent).session_id
  if (!options.beforeSend && (given === undefined || given === session?.id || isUuid(given))) {
    // The event's own fields, as a copy would take them, and only those: what is checked is what is encoded.
    const known = knownFields(input)
    if (known && plainFor(known, options)) {
      const event = stamp(known, options, session)
      return sampledOut(event, options, session) ? { id: event.event_id! } : finish(event, options, true)
    }
  }
  // The defaults' keys come first so that V8 copies the input into an object of known shape; a spread
  // copy followed by new keys measured 2-3x slower per log() (bench/README.md).
  let event = stamp(
    Object.assign(
      { event_id: undefined, event_type: undefined, project: undefined, source: undefined, session_id: undefined },
      input,
    ),
    options,
    session,
  ) as Record<string, unknown>
  // A conversation id that is not a UUID (the AI SDK's chat ids) stands for the same UUID everywhere (ids.ts).
  if (typeof given === 'string' && given && given !== session?.id) event.session_id = sessionIdFor(given)
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
  if (sampledOut(event, options, session)) return { id }
  const plain = plainFor(event, options)
  // Validate what will be sent: a Date or URL as `metadata` goes out as a string, which the server refuses
  // with the whole batch; a Set as `messages` goes out as an array.
  if (!plain)
    for (const key in event) {
      const value = event[key] as { toJSON?: (key: string) => unknown }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) continue
      if (Object.getPrototypeOf(value) === Object.prototype && typeof value.toJSON !== 'function') continue
      event[key] = replaceValue(typeof value.toJSON === 'function' ? value.toJSON(key) : value)
    }
  const result = check(modelEventSchema, event)
  if (!result.output) return { id, error: new ValidationError(result.issues, [id]) }
  return finish(result.output, options, plain)
}

/** The end of both ways: the route's rule, its mapping and the encoder (`plain` as in toJson). */
function finish(event: ModelEvent, options: ResolvedOptions, plain: boolean): Prepared {
  const id = String(event.event_id)
  // Keyless clients post to a relay, which knows its upstream's route and decides there (relay.ts).
  if ((event.event_type ?? 'model') !== 'model' && options.route === seedRoute && options.apiKey) {
    return { id, error: new DroppedError('route', treeMessage, [id]) }
  }
  // The schema's output shares the event's values; the v1 mapping only regroups them.
  const encoded = encodeEvent(options.route === v1Route ? toV1Event(event) : event, options.maxEventBytes, plain)
  encoded.session = event.session_id
  return { id, encoded }
}
