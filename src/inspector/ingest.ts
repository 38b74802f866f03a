import { legacyUpdateRoute, readUpdate, type ReadUpdate } from '../fake-update.js'
import { v1Route, type Route } from '../routes.js'
import type { ModelEvent } from '../schema.js'
import { createFakeHoneyHive } from '../testing.js'
import type { createAccess } from './access.js'
import { faultLabel, playFault, type createFaults } from './faults.js'
import type { createLive } from './live.js'
import type { createRecord } from './record.js'

// The inspector's HoneyHive routes: the two batch routes and the two event-update routes, behind the origin
// check, the key and the scheduled faults, each request logged with what it carried and what it changed.

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': 'application/json' } })
const refusal = (status: number, message: string, errorCode: string, headers: Record<string, string>) =>
  json(status, { statusCode: status, message, success: false, errorCode }, headers)

// The fake's CORS answer, also on what the inspector answers itself (401, faults, stalls): a browser that
// cannot read an answer sees a network error instead of the status the button meant. Only origins the
// access check let through get here.
const corsHeaders = (request: Request): Record<string, string> => ({
  'access-control-allow-origin': request.headers.get('origin') ?? '*',
  'access-control-allow-credentials': 'true',
  'access-control-allow-methods': 'POST, PUT, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
})

/** The body as text, or undefined past `limit` bytes. */
async function readBody(request: Request, limit: number): Promise<string | undefined> {
  if (!request.body) return ''
  const reader = request.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return text + decoder.decode()
    bytes += value.byteLength
    if (bytes > limit) return void (await reader.cancel())
    text += decoder.decode(value, { stream: true })
  }
}

/** The events of a batch body on `route` (objects only), whatever else is wrong with it. */
function carriedEvents(text: string, route: Route): ModelEvent[] {
  try {
    const list = (JSON.parse(text) as Record<string, unknown>)?.[route === v1Route ? 'events' : 'model_events']
    return Array.isArray(list)
      ? list.filter((event) => typeof event === 'object' && event !== null && !Array.isArray(event))
      : []
  } catch {
    return []
  }
}

/** Whether a batch route's body is an event update (an `event_id`, no list of events), as keyless clients send one. */
function keylessUpdate(text: string): boolean {
  try {
    const body = JSON.parse(text) as Record<string, unknown>
    return typeof body?.event_id === 'string' && !('model_events' in body) && !('events' in body)
  } catch {
    return false
  }
}

/** What the routes need of the inspector. */
export interface IngestParts {
  apiKey?: string
  maxBodyBytes: number
  access: ReturnType<typeof createAccess>
  record: ReturnType<typeof createRecord>
  live: ReturnType<typeof createLive>
  faults: ReturnType<typeof createFaults>
}

/** The handler of the batch routes (`kind: 'batch'`) and the update routes (`kind: 'update'`). */
export function createIngest({ apiKey, maxBodyBytes, access, record, live, faults }: IngestParts) {
  /** An update the fake's rules accept, answered 200 and applied, or 404 for an event not kept and stored. */
  function update(
    text: string,
    path: string,
    headers: Record<string, string>,
  ): { response: Response; applied?: ReadUpdate } {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return { response: refusal(400, 'Body is not JSON', 'BAD_REQUEST', headers) }
    }
    const read = readUpdate(path, body)
    if (typeof read === 'string') return { response: refusal(400, read, 'BAD_REQUEST', headers) }
    if (!record.isStored(read.event_id)) {
      const message = `No event ${read.event_id}: never stored, or dropped to stay within the memory bound`
      return { response: refusal(404, message, 'NOT_FOUND', headers) }
    }
    return { response: json(200, { success: true }, headers), applied: read }
  }

  return async function ingest(request: Request, path: string, given: 'batch' | 'update'): Promise<Response> {
    let kind = given
    const at = Date.now()
    const route = path as Route
    const headers = corsHeaders(request)
    const beacon = request.method === 'POST' && (request.headers.get('content-type') ?? '').startsWith('text/plain')
    let carried: ModelEvent[] = []
    const done = async (
      response: Response,
      extra: { fault?: string; note?: string; stored?: ModelEvent[]; applied?: ReadUpdate } = {},
    ) => {
      let note = extra.note
      if (!note && response.status >= 400)
        note = (
          (await response
            .clone()
            .json()
            .catch(() => ({}))) as { message?: string }
        ).message
      const arrival = {
        at,
        ms: Date.now() - at,
        method: request.method,
        path,
        beacon,
        status: response.status,
        ...(extra.fault && { fault: extra.fault }),
        ...(note && { note }),
      }
      const change =
        kind === 'batch'
          ? record.add({ ...arrival, route, carried, stored: extra.stored ?? [] })
          : record.update(arrival, extra.applied)
      live.send('change', { ...change, kept: record.size() })
      return response
    }
    const origin = request.headers.get('origin')
    // Logged without what it carried: another site's page must not be able to write a session, even unstored.
    if (!access.originAllowed(request))
      return done(
        refusal(
          403,
          `Origin ${origin} may not send here: start honeyhive-edge dev with --cors ${origin} to let it`,
          'FORBIDDEN',
          {},
        ),
      )
    const text = await readBody(request, maxBodyBytes)
    if (kind === 'batch' && text) carried = carriedEvents(text, route)
    // Down: the connection is dropped once the request has arrived, so the timeline knows what it carried.
    if (faults.isDown()) return done(Response.error(), { fault: 'down', note: 'connection dropped (down)' })
    if (text === undefined)
      return done(refusal(413, `Body over ${maxBodyBytes} bytes, the inspector's limit`, 'PAYLOAD_TOO_LARGE', headers))
    if (request.method === 'OPTIONS') return done(new Response(null, { status: 204, headers }))
    const method = kind === 'batch' ? 'POST' : 'PUT'
    if (request.method !== method) return done(refusal(405, `Use ${method}`, 'METHOD_NOT_ALLOWED', headers))
    const authorization = request.headers.get('authorization')
    if (apiKey && authorization === null) {
      return done(
        refusal(
          401,
          'Missing Authorization: Bearer <key>: this inspector was started with --key',
          'UNAUTHORIZED',
          headers,
        ),
      )
    }
    // HoneyHive answers a rejected key with 404 since 2026-09-22 (field notes §10).
    if (apiKey && authorization !== `Bearer ${apiKey}`)
      return done(refusal(404, 'Not found: invalid API key or no access to this project', 'NOT_FOUND', headers))
    const fault = faults.take()
    if (fault)
      return done(playFault(fault, headers), {
        fault: faultLabel(fault),
        ...(fault.kind === 'stall' && { note: 'stalled: 200 headers sent, no body' }),
      })
    if (kind === 'update') {
      const { response, applied } = update(text, path, headers)
      return done(response, { applied })
    }
    // A keyless client (a page) posts an event update to its batch route for its relay to forward (README,
    // "Feedback"); pointed at the inspector, the inspector forwards it to itself.
    if (keylessUpdate(text)) {
      const { response, applied } = update(text, legacyUpdateRoute, headers)
      kind = 'update'
      return done(response, {
        applied,
        note: `a keyless event update, applied as a relay forwards it${response.ok ? '' : ` (${response.status})`}`,
      })
    }
    // A fake per request: it keeps nothing between requests (faults and the record are the inspector's), so
    // what it stored is what this request stored.
    const fake = createFakeHoneyHive()
    const forwarded = new Request(request.url, {
      method: request.method,
      headers: request.headers,
      ...(text && { body: text }),
    })
    return done(await fake(forwarded), { stored: fake.events })
  }
}
