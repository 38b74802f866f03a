import * as v from 'valibot'
import { v1Route } from './routes.js'
import {
  serverModelEventSchema,
  serverSeedBatchSchema,
  serverV1BatchSchema,
  serverV1EventSchema,
  type StoredEvent,
  type StoredSessionProperties,
} from './schema-server.js'

// The batch routes' bodies as HoneyHive's spec checks them (schema-server.ts), for the fake HoneyHive.

// A refusal names at most this many problems: a large body of bad events is refused as fast as a small one
// (collecting every issue of 2 MiB of events blocked the event loop for seconds).
const maxIssues = 10

/** A batch's events and session fields, or why it is refused. */
export type Checked = { events: StoredEvent[]; single?: boolean; properties?: StoredSessionProperties } | string

const where = (prefix: string, issue: v.BaseIssue<unknown>) =>
  `${[prefix, ...(issue.path?.map((item) => String(item.key)) ?? [])].filter(Boolean).join('.') || 'body'}: ${issue.message}`

/** Checks a batch body's frame, then its events one by one, stopping after `maxIssues` problems. */
function checkBatch(
  body: unknown,
  listKey: 'events' | 'model_events',
  frame: v.GenericSchema,
  event: v.GenericSchema,
): Checked {
  const framed = v.safeParse(frame, body)
  if (!framed.success)
    return framed.issues
      .slice(0, maxIssues)
      .map((issue) => where('', issue))
      .join('; ')
  const list = (body as Record<string, unknown[]>)[listKey]
  const issues: string[] = []
  for (let index = 0; index < list.length && issues.length < maxIssues; index++) {
    const result = v.safeParse(event, list[index], { abortEarly: true })
    if (!result.success) issues.push(where(`${listKey}.${index}`, result.issues[0]))
  }
  if (issues.length > 0) return issues.join('; ')
  const output = framed.output as {
    single_session?: boolean
    is_single_session?: boolean
    session_properties?: StoredSessionProperties
    session?: StoredSessionProperties
  }
  return {
    events: list as StoredEvent[],
    single: output.single_session ?? output.is_single_session,
    properties: output.session_properties ?? output.session,
  }
}

// The frames: each schema with its list of events taken as it is, so that the events are checked one by one.
const seedFrame = v.looseObject({ ...serverSeedBatchSchema.entries, model_events: v.array(v.unknown()) })
const v1Frame = v.strictObject({ ...serverV1BatchSchema.entries, events: v.array(v.unknown()) })

/** A request's events and session fields, or why the route refuses it (400), as HoneyHive's spec decides. */
export function parseBatch(route: string, body: unknown): Checked {
  if (route === v1Route) return checkBatch(body, 'events', v1Frame, serverV1EventSchema)
  return checkBatch(body, 'model_events', seedFrame, serverModelEventSchema)
}
