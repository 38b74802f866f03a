import { readFile } from 'node:fs/promises'
import { seedRoute, v1Route, type Route } from '../routes.js'
import type { ModelEvent } from '../schema.js'
import { createFakeHoneyHive } from '../testing.js'
import { createAccess } from './access.js'
import { checkFault, createFaults, faultLabel, faultLimits, playFault, type FaultState, type InspectorFault } from './faults.js'
import { createLive } from './live.js'
import { createRecord, type EventDetail, type RequestEntry } from './record.js'
import type { EventSummary, SessionSummary } from './summary.js'

/** Options of `createInspector` (and of `startInspector`, which passes them on). */
export interface InspectorOptions {
  /**
   * When set, batch requests must carry `Authorization: Bearer <apiKey>`: without the header they get 401,
   * with another key 404 (as HoneyHive answers a rejected key). Beacons cannot carry it. @default none
   */
  apiKey?: string
  /** Most events kept; past it the least recently active sessions are dropped whole. @default 10000 */
  maxEvents?: number
  /**
   * Most memory the kept events take, in bytes, estimated as V8 stores them (an object or a list costs
   * more than its JSON: `{}` is 2 characters and 56 bytes), with what the record holds of each event.
   * Past it the least recently active sessions are dropped whole. @default 67108864 (64 MiB)
   */
  maxBytes?: number
  /**
   * Host names the page, its API and the batch routes answer (anything else gets 403), against DNS rebinding:
   * a page on another site whose name is made to point at this machine sends its own name as `Host`. Any port.
   * `startInspector` adds the addresses it listens on. @default `['localhost', '127.0.0.1', '[::1]']`
   */
  allowedHosts?: string[]
  /**
   * Origins whose pages may post to the batch routes, besides loopback origins (`http://localhost:*`,
   * `http://127.0.0.1:*`, `http://[::1]:*`) and the page's own; `'*'` lets any page. Other origins get 403 and
   * no CORS answer, so a site you visit cannot write sessions into the inspector or spend its faults.
   * @default []
   */
  cors?: string[] | '*'
}

/** The inspector: the fake HoneyHive's two routes behind scripted faults, and the live page, as one fetch handler. */
export interface Inspector {
  /** Serves `/` (the page), `/api/*` (its data, live stream and fault controls) and both batch routes. */
  fetch(request: Request): Promise<Response>
  /** Gives the next `count` batch requests this fault, as the page's buttons do. */
  fail(fault: InspectorFault, count?: number): void
  /** Drops every connection to a batch route for `seconds` (fractions allowed; the client sees a network error); 0 ends it. */
  down(seconds: number): void
  /** Forgets scheduled faults and ends an outage. */
  clearFaults(): void
  faults(): FaultState
  /** Sessions, newest first. */
  sessions(): SessionSummary[]
  /** A session's events in order of start (every kept event without an id). */
  events(sessionId?: string): EventSummary[]
  event(eventId: string): EventDetail | undefined
  /** The request log, oldest first (the last 1,000). */
  requests(): RequestEntry[]
  /** Ends the pages' live streams and timers. */
  close(): void
}

/** Defaults and bounds of what the inspector keeps. */
export const inspectorLimits = { maxEvents: 10_000, maxBytes: 64 * 1024 * 1024, maxRequests: 1000, maxBodyBytes: 16 * 1024 * 1024 }

// The page: static files next to this module (src/inspector/ and, built, dist/), served as they are.
const assets: Record<string, string> = { '/': 'inspector-page.html' }
for (const file of ['inspector-page.js', 'inspector-page-dom.js', 'inspector-page-session.js', 'inspector-page-tree.js', 'inspector-page-chat.js', 'inspector-page.css']) assets[`/${file}`] = file
const types: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' }
const pageHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // Events are the app's data: the page renders them as text only, and loads nothing from elsewhere.
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': 'application/json' } })
const refusal = (status: number, message: string, errorCode: string, headers: Record<string, string>) => json(status, { statusCode: status, message, success: false, errorCode }, headers)

// The fake's CORS answer, also on what the inspector answers itself (401, faults, stalls): a browser that
// cannot read an answer sees a network error instead of the status the button meant.
const corsHeaders = (request: Request): Record<string, string> => ({
  'access-control-allow-origin': request.headers.get('origin') ?? '*',
  'access-control-allow-credentials': 'true',
  'access-control-allow-methods': 'POST, OPTIONS',
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
    return Array.isArray(list) ? list.filter((event) => typeof event === 'object' && event !== null && !Array.isArray(event)) : []
  } catch {
    return []
  }
}

/**
 * Creates the inspector behind `honeyhive-edge dev`: a fake HoneyHive (both routes, strict, CORS for any
 * page, beacons accepted) whose requests, events and sessions are kept (bounded) and shown live on a page at
 * `/`, with faults to play on the next requests. Node only (the page is read from disk). Serve it with
 * `startInspector`, or any server that streams answers.
 */
export function createInspector(options: InspectorOptions = {}): Inspector {
  const limits = { ...inspectorLimits, maxEvents: options.maxEvents ?? inspectorLimits.maxEvents, maxBytes: options.maxBytes ?? inspectorLimits.maxBytes }
  if (!Number.isInteger(limits.maxEvents) || limits.maxEvents < 1) throw new RangeError(`maxEvents must be a whole number from 1 (got ${options.maxEvents})`)
  if (!(limits.maxBytes > 0)) throw new RangeError(`maxBytes must be a number of bytes above 0 (got ${options.maxBytes})`)
  const access = createAccess(options.allowedHosts, options.cors)
  const record = createRecord(limits)
  const live = createLive()
  const faults = createFaults((state) => live.send('faults', state))
  const files = new Map<string, Promise<string>>()
  const asset = (name: string) => files.get(name) ?? (files.set(name, readFile(new URL(`./${name}`, import.meta.url), 'utf8')), files.get(name)!)
  const snapshot = () => ({ sessions: record.sessions(), events: record.events(), requests: record.requests(), faults: faults.state(), kept: record.size(), limits: { maxEvents: limits.maxEvents, maxBytes: limits.maxBytes, maxRequests: limits.maxRequests } })

  async function ingest(request: Request, route: Route): Promise<Response> {
    const at = Date.now()
    const headers = corsHeaders(request)
    const beacon = request.method === 'POST' && (request.headers.get('content-type') ?? '').startsWith('text/plain')
    const origin = request.headers.get('origin')
    if (!access.originAllowed(request)) {
      // Logged without its events: another site's page must not be able to write a session, even unstored.
      const message = `Origin ${origin} may not post here: start honeyhive-edge dev with --cors ${origin} to let it`
      const change = record.add({ at, ms: 0, method: request.method, path: route, route, beacon, status: 403, carried: [], stored: [], note: message })
      live.send('change', { ...change, kept: record.size() })
      return refusal(403, message, 'FORBIDDEN', {})
    }
    const text = await readBody(request, limits.maxBodyBytes)
    const carried = text ? carriedEvents(text, route) : []
    const done = async (response: Response, extra: { fault?: string; note?: string; stored?: ModelEvent[] } = {}) => {
      let note = extra.note
      if (!note && response.status >= 400) note = ((await response.clone().json().catch(() => ({}))) as { message?: string }).message
      const change = record.add({ at, ms: Date.now() - at, method: request.method, path: route, route, beacon, status: response.status, carried, stored: extra.stored ?? [], ...(extra.fault && { fault: extra.fault }), ...(note && { note }) })
      live.send('change', { ...change, kept: record.size() })
      return response
    }
    // Down: the connection is dropped once the request has arrived, so the timeline knows what it carried.
    if (faults.isDown()) return done(Response.error(), { fault: 'down', note: 'connection dropped (down)' })
    if (text === undefined) return done(refusal(413, `Body over ${limits.maxBodyBytes} bytes, the inspector's limit`, 'PAYLOAD_TOO_LARGE', headers))
    const authorization = request.headers.get('authorization')
    if (options.apiKey && request.method !== 'OPTIONS' && authorization === null) {
      return done(refusal(401, 'Missing Authorization: Bearer <key>: this inspector was started with --key', 'UNAUTHORIZED', headers))
    }
    const keyed = !options.apiKey || authorization === `Bearer ${options.apiKey}`
    const fault = request.method === 'POST' && keyed ? faults.take() : undefined
    if (fault) return done(playFault(fault, headers), { fault: faultLabel(fault), ...(fault.kind === 'stall' && { note: 'stalled: 200 headers sent, no body' }) })
    // A fake per request: it keeps nothing between requests (faults and the record are the inspector's), so
    // what it stored is what this request stored.
    const fake = createFakeHoneyHive({ apiKey: options.apiKey })
    const forwarded = new Request(request.url, { method: request.method, headers: request.headers, ...(text && { body: text }) })
    return done(await fake(forwarded), { stored: fake.events })
  }

  async function control(request: Request): Promise<Response> {
    // JSON only: a cross-origin page must preflight it, and gets no CORS answer here.
    if (!(request.headers.get('content-type') ?? '').startsWith('application/json')) return json(415, { message: 'Send application/json' })
    const given = (await request.json().catch(() => undefined)) as { kind?: unknown; retryAfter?: unknown; count?: unknown; down?: unknown; clear?: unknown } | undefined
    if (given?.clear === true) faults.clear()
    else if (given?.down !== undefined) {
      if (!(Number.isInteger(given.down) && (given.down as number) >= 0 && (given.down as number) <= faultLimits.seconds)) return json(400, { message: `down must be whole seconds from 0 to ${faultLimits.seconds}` })
      faults.down(given.down as number)
    } else {
      const problem = given ? checkFault(given) : 'Send { kind, count?, retryAfter? }, { down: seconds } or { clear: true }'
      const count = given?.count ?? 1
      if (problem || !(Number.isInteger(count) && (count as number) >= 1)) return json(400, { message: problem ?? 'count must be a whole number from 1' })
      faults.add({ kind: given!.kind as InspectorFault['kind'], ...(given!.retryAfter !== undefined && { retryAfter: given!.retryAfter as number }) }, count as number)
    }
    return json(200, faults.state())
  }

  async function fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url)
    // Every route: the batch routes too, or a rebound name could still write sessions and spend faults.
    if (!access.hostAllowed(request)) {
      return new Response(`Host not allowed: use the address honeyhive-edge dev printed (or add this name with --allow-host)`, { status: 403 })
    }
    if (pathname === seedRoute || pathname === v1Route) return ingest(request, pathname)
    const name = assets[pathname]
    if (name && request.method === 'GET') return new Response(await asset(name), { headers: { ...pageHeaders, 'content-type': types[name.split('.').pop()!] } })
    if (pathname === '/api/state' && request.method === 'GET') return json(200, snapshot(), { 'cache-control': 'no-store' })
    if (pathname === '/api/stream' && request.method === 'GET') return live.open(snapshot)
    if (pathname === '/api/faults' && request.method === 'POST') {
      if (!access.originAllowed(request)) return json(403, { message: 'Fault controls answer the page and loopback origins only' })
      return control(request)
    }
    if (pathname.startsWith('/api/events/') && request.method === 'GET') {
      let id: string | undefined
      try {
        id = decodeURIComponent(pathname.slice('/api/events/'.length))
      } catch {}
      const detail = id === undefined ? undefined : record.event(id)
      return detail ? json(200, detail, { 'cache-control': 'no-store' }) : json(404, { message: 'No such event (never received, or dropped to stay within the memory bound)' })
    }
    if (pathname === '/favicon.ico') return new Response(null, { status: 204 })
    return json(404, { message: `No route ${pathname}: the page is at /, the batch routes are ${seedRoute} and ${v1Route}` })
  }

  return {
    fetch,
    fail: (fault, count = 1) => {
      const problem = checkFault(fault)
      if (problem) throw new RangeError(problem)
      faults.add(fault, count)
    },
    down: faults.down,
    clearFaults: faults.clear,
    faults: faults.state,
    sessions: record.sessions,
    events: record.events,
    event: record.event,
    requests: record.requests,
    close: () => {
      live.close()
      faults.stop()
    },
  }
}
