import { readFile } from 'node:fs/promises'
import { seedRoute, v1Route } from '../routes.js'
import { isUpdatePath } from '../fake-update.js'
import { createAccess } from './access.js'
import { createIngest } from './ingest.js'
import { checkFault, createFaults, faultLimits, type FaultState, type InspectorFault } from './faults.js'
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
   * Origins whose pages may post to the batch routes, besides pages served by this machine (loopback origins
   * such as `http://localhost:5173`, and origins whose host is one of `allowedHosts`, any port); `'*'` lets any page. Other origins get 403 and
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
export const inspectorLimits = {
  maxEvents: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxRequests: 1000,
  maxBodyBytes: 16 * 1024 * 1024,
}

// The page: static files next to this module (src/inspector/ and, built, dist/), served as they are.
const assets: Record<string, string> = { '/': 'inspector-page.html' }
const pageFiles = [
  'inspector-page.js',
  'inspector-page-dom.js',
  'inspector-page-session.js',
  'inspector-page-tree.js',
  'inspector-page-chat.js',
]
for (const file of [...pageFiles, 'inspector-page-detail.js', 'inspector-page-lists.js', 'inspector-page.css'])
  assets[`/${file}`] = file
const types: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}
const pageHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // Events are the app's data: the page renders them as text only, and loads nothing from elsewhere.
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': 'application/json' } })

/**
 * Creates the inspector behind `honeyhive-edge dev`: a fake HoneyHive (both batch routes and both
 * event-update routes, as HoneyHive's spec takes them; CORS for loopback pages and those `cors` names; beacons
 * accepted) whose requests, events and sessions are kept (bounded) and shown live on a page at `/`, with
 * faults to play on the next requests. Node only (the page is read from disk). Serve it with
 * `startInspector`, or any server that streams answers.
 */
export function createInspector(options: InspectorOptions = {}): Inspector {
  const limits = {
    ...inspectorLimits,
    maxEvents: options.maxEvents ?? inspectorLimits.maxEvents,
    maxBytes: options.maxBytes ?? inspectorLimits.maxBytes,
  }
  if (!Number.isInteger(limits.maxEvents) || limits.maxEvents < 1)
    throw new RangeError(`maxEvents must be a whole number from 1 (got ${options.maxEvents})`)
  if (!(limits.maxBytes > 0))
    throw new RangeError(`maxBytes must be a number of bytes above 0 (got ${options.maxBytes})`)
  const access = createAccess(options.allowedHosts, options.cors)
  const record = createRecord(limits)
  const live = createLive()
  const faults = createFaults((state) => live.send('faults', state))
  const files = new Map<string, Promise<string>>()
  const asset = (name: string) =>
    files.get(name) ?? (files.set(name, readFile(new URL(`./${name}`, import.meta.url), 'utf8')), files.get(name)!)
  const snapshot = () => ({
    sessions: record.sessions(),
    events: record.events(),
    requests: record.requests(),
    faults: faults.state(),
    kept: record.size(),
    limits: { maxEvents: limits.maxEvents, maxBytes: limits.maxBytes, maxRequests: limits.maxRequests },
  })

  const ingest = createIngest({
    apiKey: options.apiKey,
    maxBodyBytes: limits.maxBodyBytes,
    access,
    record,
    live,
    faults,
  })

  async function control(request: Request): Promise<Response> {
    // JSON only: a cross-origin page must preflight it, and gets no CORS answer here.
    if (!(request.headers.get('content-type') ?? '').startsWith('application/json'))
      return json(415, { message: 'Send application/json' })
    const given = (await request.json().catch(() => undefined)) as
      { kind?: unknown; retryAfter?: unknown; count?: unknown; down?: unknown; clear?: unknown } | undefined
    if (given?.clear === true) faults.clear()
    else if (given?.down !== undefined) {
      if (!(
        Number.isInteger(given.down) &&
        (given.down as number) >= 0 &&
        (given.down as number) <= faultLimits.seconds
      ))
        return json(400, { message: `down must be whole seconds from 0 to ${faultLimits.seconds}` })
      faults.down(given.down as number)
    } else {
      const problem = given
        ? checkFault(given)
        : 'Send { kind, count?, retryAfter? }, { down: seconds } or { clear: true }'
      const count = given?.count ?? 1
      if (problem || !(Number.isInteger(count) && (count as number) >= 1))
        return json(400, { message: problem ?? 'count must be a whole number from 1' })
      faults.add(
        {
          kind: given!.kind as InspectorFault['kind'],
          ...(given!.retryAfter !== undefined && { retryAfter: given!.retryAfter as number }),
        },
        count as number,
      )
    }
    return json(200, faults.state())
  }

  async function fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url)
    // Every route: the batch routes too, or a rebound name could still write sessions and spend faults.
    if (!access.hostAllowed(request)) {
      return new Response(
        `Host not allowed: use the address honeyhive-edge dev printed (or add this name with --allow-host)`,
        { status: 403 },
      )
    }
    if (pathname === seedRoute || pathname === v1Route) return ingest(request, pathname, 'batch')
    if (isUpdatePath(pathname)) return ingest(request, pathname, 'update')
    const name = assets[pathname]
    if (name && request.method === 'GET')
      return new Response(await asset(name), {
        headers: { ...pageHeaders, 'content-type': types[name.split('.').pop()!] },
      })
    if (pathname === '/api/state' && request.method === 'GET')
      return json(200, snapshot(), { 'cache-control': 'no-store' })
    if (pathname === '/api/stream' && request.method === 'GET') return live.open(snapshot)
    if (pathname === '/api/faults' && request.method === 'POST') {
      if (!access.originAllowed(request))
        return json(403, { message: 'Fault controls answer the page and loopback origins only' })
      return control(request)
    }
    if (pathname.startsWith('/api/events/') && request.method === 'GET') {
      let id: string | undefined
      try {
        id = decodeURIComponent(pathname.slice('/api/events/'.length))
      } catch {}
      const detail = id === undefined ? undefined : record.event(id)
      return detail
        ? json(200, detail, { 'cache-control': 'no-store' })
        : json(404, { message: 'No such event (never received, or dropped to stay within the memory bound)' })
    }
    if (pathname === '/favicon.ico') return new Response(null, { status: 204 })
    return json(404, {
      message: `No route ${pathname}: the page is at /, the batch routes are ${seedRoute} and ${v1Route}`,
    })
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
