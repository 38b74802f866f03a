import { request as httpRequest } from 'node:http'
import { networkInterfaces } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, test } from 'vitest'
import { startInspector, type StartInspectorOptions } from '../../src/inspector/index.js'
import { createLive } from '../../src/inspector/live.js'
import { createRecord } from '../../src/inspector/record.js'

// The inspector against a hostile web page and a hostile or careless sender (issue 23, 5-7): DNS rebinding,
// other sites' pages, bodies built to exhaust its memory or its event loop.

const running: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()))
})

async function start(options: StartInspectorOptions = {}) {
  const server = await startInspector({ port: 0, ...options })
  running.push(server.close)
  return server
}

/** A raw HTTP request to 127.0.0.1 that names any Host and Origin (fetch will not let a test set Host). */
const raw = (
  port: number,
  path: string,
  {
    host = `127.0.0.1:${port}`,
    method = 'GET',
    origin,
    body,
  }: { host?: string; method?: string; origin?: string; body?: string } = {},
) =>
  new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
    const headers: Record<string, string> = { host, 'content-type': 'application/json', ...(origin && { origin }) }
    const request = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      // The live stream never ends: its status and first bytes are enough.
      response.on('data', (chunk) => {
        text += chunk
        if (path === '/api/stream') response.destroy()
      })
      response.on('close', () => resolve({ status: response.statusCode!, headers: response.headers, text }))
    })
    request.on('error', reject)
    request.end(body)
  })

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

const event = () => ({ event_id: crypto.randomUUID(), session_id: crypto.randomUUID(), model: 'gpt-4o' })
const routes = ['/', '/api/state', '/api/stream', '/api/events/x', '/inspector-page.js']

describe('DNS rebinding: every route checks Host, whatever the address it is bound to', () => {
  test.each(['127.0.0.1', '0.0.0.0'])(
    'bound to %s, a rebound name gets 403 on the page, its API and both batch routes; loopback names and its own addresses are answered',
    async (host) => {
      const { port, inspector } = await start({ host })
      for (const path of routes)
        expect([path, (await raw(port, path, { host: `attacker.example:${port}` })).status]).toEqual([path, 403])
      for (const path of ['/events/model/batch', '/v1/events/batch']) {
        expect(
          (
            await raw(port, path, {
              host: `attacker.example:${port}`,
              method: 'POST',
              body: JSON.stringify({ model_events: [event()] }),
            })
          ).status,
        ).toBe(403)
      }
      expect(inspector.requests()).toEqual([])
      for (const name of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`])
        expect((await raw(port, '/api/state', { host: name })).status).toBe(200)
      // Bound to every interface, this machine's own addresses are its names (a phone on the LAN opens the page).
      const own = Object.values(networkInterfaces())
        .flat()
        .find((address) => address?.family === 'IPv4' && !address.internal)
      if (host === '0.0.0.0' && own)
        expect((await raw(port, '/api/state', { host: `${own.address}:${port}` })).status).toBe(200)
    },
  )

  test('allowedHosts adds a name (a container reaching the host)', async () => {
    const { port } = await start({ allowedHosts: ['host.docker.internal', 'fd00::2'] })
    expect((await raw(port, '/api/state', { host: `[fd00::2]:${port}` })).status).toBe(200)
    expect(
      (
        await raw(port, '/events/model/batch', {
          host: `host.docker.internal:${port}`,
          method: 'POST',
          body: JSON.stringify({ model_events: [event()] }),
        })
      ).status,
    ).toBe(200)
    expect((await raw(port, '/api/state', { host: `other.internal:${port}` })).status).toBe(403)
    // A page served by that host (a dev server beside the inspector) may post; another may not.
    const body = JSON.stringify({ model_events: [event()] })
    expect(
      (await raw(port, '/events/model/batch', { method: 'POST', origin: 'http://host.docker.internal:3000', body }))
        .status,
    ).toBe(200)
    expect(
      (await raw(port, '/events/model/batch', { method: 'POST', origin: 'http://other.internal:3000', body })).status,
    ).toBe(403)
  })
})

describe('other sites: the batch routes take pages from loopback and the inspector itself, and others only with cors', () => {
  test("another site's page can neither write a session nor spend a fault; loopback pages and the page's own origin can", async () => {
    const { baseUrl, port, inspector } = await start()
    inspector.fail({ kind: '500' })
    const evil = 'https://evil.example'
    const preflight = await raw(port, '/events/model/batch', { method: 'OPTIONS', origin: evil })
    expect(preflight.status).toBe(403)
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
    const refused = await post(`${baseUrl}/events/model/batch`, { model_events: [event()] }, { origin: evil })
    expect(refused.status).toBe(403)
    expect(refused.headers.get('access-control-allow-origin')).toBeNull()
    // A beacon (text/plain, no preflight) is refused the same way.
    const beacon = await fetch(`${baseUrl}/events/model/batch`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: evil },
      body: JSON.stringify({ model_events: [event()] }),
    })
    expect(beacon.status).toBe(403)
    expect(inspector.events()).toEqual([])
    expect(inspector.sessions()).toEqual([])
    expect(inspector.faults().pending).toEqual(['500'])
    expect(inspector.requests().at(-1)?.note).toContain('--cors https://evil.example')
    // Fault controls too.
    expect((await post(`${baseUrl}/api/faults`, { clear: true }, { origin: evil })).status).toBe(403)
    expect(inspector.faults().pending).toEqual(['500'])

    inspector.clearFaults()
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080', baseUrl]) {
      const answer = await post(`${baseUrl}/events/model/batch`, { model_events: [event()] }, { origin })
      expect([origin, answer.status, answer.headers.get('access-control-allow-origin')]).toEqual([origin, 200, origin])
    }
    expect(inspector.events()).toHaveLength(4)
  })

  test('cors names the origins that may post, or lets any page with *', async () => {
    const listed = await start({ cors: ['https://App.example:3000/'] })
    expect(
      (
        await post(
          `${listed.baseUrl}/v1/events/batch`,
          { events: [{ event_type: 'model', inputs: {} }] },
          { origin: 'https://app.example:3000' },
        )
      ).status,
    ).toBe(200)
    expect(
      (
        await post(
          `${listed.baseUrl}/v1/events/batch`,
          { events: [{ event_type: 'model', inputs: {} }] },
          { origin: 'https://app.example:4000' },
        )
      ).status,
    ).toBe(403)
    const any = await start({ cors: '*' })
    const answer = await post(
      `${any.baseUrl}/v1/events/batch`,
      { events: [{ event_type: 'model', inputs: {} }] },
      { origin: 'https://anywhere.example' },
    )
    expect([answer.status, answer.headers.get('access-control-allow-origin')]).toEqual([
      200,
      'https://anywhere.example',
    ])
  })
})

describe('memory: what is kept is bounded by what it costs, and the snapshot keeps working at the bound', () => {
  // heapUsed after a full collection: what the record really keeps.
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const heap = () => {
    gc()
    gc()
    return process.memoryUsage().heapUsed
  }

  test('events made of many small objects are bounded by their heap cost, not their JSON characters', () => {
    const maxBytes = 2 * 1024 * 1024
    const record = createRecord({ maxEvents: 1_000_000, maxBytes, maxRequests: 1000 })
    const before = heap()
    let at = Date.now()
    // 3 JSON characters and 64 heap bytes per {}: 6 KB of JSON, about 128 KB of heap, an event.
    for (let i = 0; i < 600; i++) {
      const event = {
        ...JSON.parse(JSON.stringify({ metadata: { list: Array.from({ length: 2000 }, () => ({})) } })),
        event_id: crypto.randomUUID(),
        session_id: `s${i}`,
      }
      record.add({
        at: (at += 1),
        ms: 1,
        method: 'POST',
        path: '/events/model/batch',
        route: '/events/model/batch',
        beacon: false,
        status: 200,
        carried: [event],
        stored: [event],
      })
    }
    const grown = heap() - before
    expect(record.size().bytes).toBeLessThanOrEqual(maxBytes)
    // Counting JSON characters kept about 45 MB here.
    expect(grown).toBeLessThan(4 * maxBytes)
  })

  test('duplicate lists and refusal notes in the request log are bounded; /api/state answers at the bound', async () => {
    const { baseUrl, inspector } = await start({ maxBytes: 1024 * 1024 })
    const same = event()
    // One body that stores the same event 5,000 times: one duplicate list.
    await post(`${baseUrl}/events/model/batch`, { model_events: Array.from({ length: 5000 }, () => same) })
    const [request] = inspector.requests()
    expect(request.duplicateCount).toBe(4999)
    expect(request.duplicates).toHaveLength(20)
    // A refusal of 10,000 bad events: the note names a few.
    const refused = Array.from({ length: 10_000 }, (_, index) => ({ ...event(), start_time: `${index} ms ago` }))
    expect((await post(`${baseUrl}/events/model/batch`, { model_events: refused })).status).toBe(400)
    expect(inspector.requests()[1].note!.length).toBeLessThanOrEqual(1001)
    // Past the bound many times over: the state still answers, within the bound.
    for (let i = 0; i < 20; i++)
      await post(`${baseUrl}/events/model/batch`, {
        model_events: Array.from({ length: 200 }, () => ({ ...event(), metadata: { text: 'x'.repeat(2000) } })),
      })
    const state = await fetch(`${baseUrl}/api/state`)
    expect(state.status).toBe(200)
    const snapshot = (await state.json()) as { kept: { bytes: number; events: number } }
    expect(snapshot.kept.bytes).toBeLessThanOrEqual(1024 * 1024)
    expect(snapshot.kept.events).toBeGreaterThan(0)
  })
})

describe('a page that stops reading its live stream', () => {
  test('is let go once its queue holds more than 16 MiB past its snapshot, whatever the number of messages', () => {
    const live = createLive()
    // Opened and never read, like a frozen tab.
    const response = live.open(() => ({ sessions: [] }))
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const large = {
      events: Array.from({ length: 2000 }, (_, index) => ({ event_id: `${index}`, preview: 'x'.repeat(500) })),
    }
    for (let i = 0; i < 12; i++) live.send('change', large)
    expect(live.count()).toBe(1)
    // About 1 MB a message: 40 of them queue past the bound (counting messages let 1,000 of them queue).
    for (let i = 0; i < 40; i++) live.send('change', large)
    expect(live.count()).toBe(0)
    live.close()
  })
})

describe('small defects', () => {
  test('a malformed % escape in an event id is a 404, not a 500', async () => {
    const { baseUrl } = await start()
    const answer = await fetch(`${baseUrl}/api/events/%E0%A4%A`)
    expect(answer.status).toBe(404)
  })

  test('a 2 MiB body of refused events does not hold the event loop', async () => {
    const { baseUrl } = await start()
    const bodies = [
      // 1,000,000 events that are not objects.
      `{"model_events":[${Array.from({ length: 1024 * 1024 - 16 }, () => '1').join(',')}]}`,
      JSON.stringify({
        model_events: Array.from({ length: 30_000 }, () => ({
          event_id: crypto.randomUUID(),
          start_time: 'now',
          end_time: 'later',
        })),
      }),
    ]
    for (const body of bodies) {
      let last = performance.now()
      let longest = 0
      const timer = setInterval(() => {
        longest = Math.max(longest, performance.now() - last)
        last = performance.now()
      }, 5)
      const answer = await post(`${baseUrl}/events/model/batch`, body)
      clearInterval(timer)
      expect(answer.status).toBe(400)
      // The whole body was checked at once in seconds (10 s for the first here).
      expect(longest).toBeLessThan(1500)
    }
  }, 30_000)
})
