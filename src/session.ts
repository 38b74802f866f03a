import { batchFrame, type Frame, type Route, type SessionFields } from './routes.js'
import { randomId } from './ids.js'
import { isUuid, type BatchResponse, type SessionProperties } from './schema.js'

// A client's session, in one place (issue 20): the id stamped on events (made when first needed), the id
// sampling decides by, the session fields a batch carries, and joining the session the server answered.

/** An encoded event that knows its session (the event's own top-level `session_id`). */
export interface SessionMember {
  json: string
  session?: string
}

/** What a session needs of the client's options. */
export interface SessionOptions {
  route: Route
  sessionId?: string
  singleSession?: boolean
  sessionProperties?: SessionProperties
}

export interface Session {
  /** The session stamped on events without one: the option, else one UUID made on first use. */
  readonly id: string
  /** The id sampling decides by: the session the client started with, also after it joined the server's. */
  readonly sampleKey: string
  /** The frame for the next batch: with the session fields until a batch that carried them is accepted. */
  readonly frame: Frame
  /** The frame without session fields, for a request sent while a batch that carries them is in flight. */
  readonly plainFrame: Frame
  /** Whether the session fields are still to be accepted. */
  readonly pending: boolean
  /**
   * After an accepted batch: no more session fields, and when the server answered another session than the
   * client's (a `single_session` request makes its own), `members()` (events not yet sent, listed only then) join it, by their
   * own `session_id` field, never by text replacement.
   */
  accept(answer: BatchResponse, members: () => SessionMember[]): string | undefined
}

export function createSession(options: SessionOptions): Session {
  let id = options.sessionId
  let first: string | undefined
  let frame = batchFrame(options.route, {
    single_session: options.singleSession,
    session_properties: options.sessionProperties,
  } as SessionFields)
  const plainFrame = batchFrame(options.route, {})
  let pending = frame.close !== plainFrame.close
  return {
    get id() {
      return (id ??= randomId())
    },
    get sampleKey() {
      return first ?? (id ??= randomId())
    },
    get frame() {
      return frame
    },
    plainFrame,
    get pending() {
      return pending
    },
    accept({ session_id: answered }, members) {
      if (!pending) return undefined
      pending = false
      frame = plainFrame
      const mine = id
      // Only a single_session request makes a session of its own; any other answer just echoes one.
      if (!options.singleSession || !mine || !answered || answered === mine || !isUuid(answered)) return undefined
      for (const member of members()) {
        if (member.session !== mine) continue
        const event = JSON.parse(member.json)
        event.session_id = answered
        // A UUID for a UUID: the byte length stays the same.
        member.json = JSON.stringify(event)
        member.session = answered
      }
      first ??= mine
      id = answered
      return answered
    },
  }
}
