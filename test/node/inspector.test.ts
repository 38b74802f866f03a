import { request as httpRequest } from 'node:http'
import { afterEach, describe, expect, test } from 'vitest'
import { createClient, type ClientOptions, type HoneyHiveError } from '../../src/index.js'
import { startInspector, type StartInspectorOptions } from '../../src/inspector/index.js'
import { createRecord } from '../../src/inspector/record.js'

// The inspector behind `honeyhive-edge dev`, on a real loopback socket, with the real client: what it keeps of
// each session, the faults it plays and how the client rides them, the key, the memory bound, the live stream.

const running: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()))
})

async function start(options: StartInspectorOptions = {}) {
  const server = await startInspector({ port: 0, ...options })
  running.push(server.close)
  return server
}

function client(baseUrl: string, options: ClientOptions = {}) {
  const errors: HoneyHiveError[] = []
  const hh = createClient({ baseUrl, flushIntervalMs: 60_000, onError: (error) => errors.push(error), ...options })
  running.push(async () => void (await hh.shutdown({ timeoutMs: 100 })))
  return { hh, errors }
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

describe('what the inspector keeps of a session', () => {
  test('a session shows its events with times, first token, status, tokens and errors, and the v1 mapping of each', async () => {
    const { baseUrl, inspector } = await start()
    const { hh } = client(baseUrl)
    const streamed = hh.startModelEvent({
      event_name: 'chat',
      model: 'gpt-4o',
      provider: 'openai',
      messages: [{ role: 'user', content: 'hi' }],
    })
    await new Promise((resolve) => setTimeout(resolve, 15))
    streamed.firstToken()
    streamed.end({
      response: { role: 'assistant', content: 'hello' },
      usage: { prompt_tokens: 7, completion_tokens: 5 },
      metadata: { status: 'success' },
    })
    hh.startModelEvent({ event_name: 'chat', model: 'gpt-4o' }).fail(new Error('provider returned 503'))
    hh.log({
      event_name: 'stopped',
      model: 'gpt-4o',
      metadata: { status: 'cancelled', finish_reason: 'length' },
      usage: { total_tokens: 4 },
    })
    await hh.flush()

    const [session] = inspector.sessions()
    expect(session).toMatchObject({
      session_id: hh.sessionId,
      events: 3,
      errors: 1,
      cancelled: 1,
      tokens: 16,
      retried: 0,
      beacons: 0,
      duplicates: 0,
    })
    expect(session.durationMs).toBeGreaterThanOrEqual(15)
    const events = inspector.events(hh.sessionId)
    expect(events.map((event) => [event.event_name, event.status])).toEqual([
      ['chat', 'success'],
      ['chat', 'error'],
      ['stopped', 'cancelled'],
    ])
    expect(events[0].ttft).toBeGreaterThanOrEqual(15)
    expect(events[0].end! - events[0].start!).toBeGreaterThanOrEqual(events[0].ttft!)
    expect(events[1].error).toBe('provider returned 503')
    expect(events[2]).toMatchObject({ finish_reason: 'length', tokens: 4 })
    const detail = inspector.event(events[0].event_id)!
    expect(detail.received).toMatchObject({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
    expect(detail.v1).toMatchObject({
      config: { model: 'gpt-4o', provider: 'openai' },
      inputs: { chat_history: [{ role: 'user', content: 'hi' }] },
      outputs: { role: 'assistant', content: 'hello' },
      metadata: { prompt_tokens: 7, completion_tokens: 5 },
    })
  })

  test('events on the v1 route are shown as received, with no mapping to show', async () => {
    const { baseUrl, inspector } = await start()
    const { hh } = client(baseUrl, { route: '/v1/events/batch', apiKey: 'any-key' })
    hh.log({ event_name: 'chat', model: 'gpt-4o', usage: { prompt_tokens: 3, completion_tokens: 2 } })
    await hh.flush()
    const [event] = inspector.events(hh.sessionId)
    expect(event).toMatchObject({ route: '/v1/events/batch', model: 'gpt-4o', tokens: 5, stored: 1 })
    const detail = inspector.event(event.event_id)!
    expect(detail.received).toMatchObject({ event_type: 'model', config: { model: 'gpt-4o' } })
    expect(detail.v1).toBeUndefined()
  })

  test('a single_session request makes its own session and the event is shown there, as HoneyHive stores it', async () => {
    const { baseUrl, inspector } = await start()
    const { hh } = client(baseUrl, { singleSession: true, sessionProperties: { session_name: 'chat' } })
    hh.log({ model: 'gpt-4o' })
    await hh.flush()
    const [session] = inspector.sessions()
    expect(session.session_id).toBe(hh.sessionId)
    expect(inspector.events(session.session_id)).toHaveLength(1)
  })

  test('a beacon (a text/plain POST) is marked on the request and on the events it stored', async () => {
    const { baseUrl, inspector } = await start()
    const body = { model_events: [{ event_id: crypto.randomUUID(), session_id: crypto.randomUUID(), model: 'gpt-4o' }] }
    await fetch(`${baseUrl}/events/model/batch`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify(body),
    })
    expect(inspector.requests()[0]).toMatchObject({ beacon: true, status: 200, events: 1, stored: 1 })
    expect(inspector.events()[0]).toMatchObject({ beacon: true })
    expect(inspector.sessions()[0].beacons).toBe(1)
  })

  test('an event stored twice is a duplicate on the request that stored it again, and on its session', async () => {
    const { baseUrl, inspector } = await start()
    const event = { event_id: crypto.randomUUID(), session_id: crypto.randomUUID(), model: 'gpt-4o' }
    await post(`${baseUrl}/events/model/batch`, { model_events: [event] })
    await post(`${baseUrl}/events/model/batch`, { model_events: [event, { ...event, event_id: crypto.randomUUID() }] })
    expect(inspector.requests().map((request) => request.duplicates)).toEqual([[], [event.event_id]])
    expect(inspector.events(event.session_id).map((summary) => summary.stored)).toEqual([2, 1])
    expect(inspector.sessions()[0]).toMatchObject({ events: 2, duplicates: 1 })
  })

  test('a refused body is logged with the reason, and its events are shown as not stored', async () => {
    const { baseUrl, inspector } = await start()
    const event = {
      event_id: crypto.randomUUID(),
      session_id: crypto.randomUUID(),
      model: 'gpt-4o',
      start_time: '2026-12-07T12:00:00Z',
    }
    expect((await post(`${baseUrl}/events/model/batch`, { model_events: [event] })).status).toBe(400)
    expect(inspector.requests()[0]).toMatchObject({
      status: 400,
      events: 1,
      stored: 0,
      note: expect.stringContaining('model_events.0.start_time: Invalid type: Expected number'),
    })
    expect(inspector.events()[0]).toMatchObject({
      event_id: event.event_id,
      stored: 0,
      attempts: [{ status: 400, stored: false }],
    })
    expect(inspector.sessions()[0]).toMatchObject({ session_id: event.session_id, events: 1, unstored: 1 })
  })
})

describe('faults', () => {
  test('a 429 with Retry-After goes to the next request only; the client waits, resends the same events, and the timeline marks the retry', async () => {
    const { baseUrl, inspector } = await start()
    inspector.fail({ kind: '429', retryAfter: 1 })
    expect(inspector.faults().pending).toEqual(['429 Retry-After 1 s'])
    const { hh, errors } = client(baseUrl, { flushAt: 2 })
    hh.log({ model: 'a' })
    hh.log({ model: 'b' })
    const started = Date.now()
    await hh.flush()
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect(errors).toEqual([])
    expect(inspector.requests().map((request) => [request.status, request.fault, request.stored])).toEqual([
      [429, '429 Retry-After 1 s', 0],
      [200, undefined, 2],
    ])
    expect(inspector.faults().pending).toEqual([])
    const events = inspector.events(hh.sessionId)
    expect(
      events.map((event) => event.attempts.map((attempt) => [attempt.request, attempt.status, attempt.stored])),
    ).toEqual([
      [
        [1, 429, false],
        [2, 200, true],
      ],
      [
        [1, 429, false],
        [2, 200, true],
      ],
    ])
    expect(inspector.sessions()[0]).toMatchObject({ retried: 2, duplicates: 0 })
  })

  test('500 and 413 are played in order on the next requests, then requests are answered normally', async () => {
    const { baseUrl, inspector } = await start()
    inspector.fail({ kind: '500' })
    inspector.fail({ kind: '413' }, 2)
    const statuses = []
    for (let i = 0; i < 4; i++)
      statuses.push((await post(`${baseUrl}/events/model/batch`, { model_events: [{ model: 'x' }] })).status)
    expect(statuses).toEqual([500, 413, 413, 200])
    expect(inspector.requests().map((request) => request.fault)).toEqual(['500', '413', '413', undefined])
  })

  test('down for a while drops each connection (the client sees network errors), and the client delivers once it is up', async () => {
    const { baseUrl, inspector } = await start()
    inspector.down(0.4)
    const { hh, errors } = client(baseUrl, { maxRetries: 6 })
    hh.log({ model: 'gpt-4o' })
    const result = await hh.flush()
    expect(result).toMatchObject({ sent: 1, failed: 0 })
    expect(errors).toEqual([])
    const log = inspector.requests()
    expect(log.length).toBeGreaterThan(1)
    expect(log.slice(0, -1).every((request) => request.status === 0 && request.fault === 'down')).toBe(true)
    expect(log.at(-1)).toMatchObject({ status: 200, stored: 1 })
    expect(inspector.events(hh.sessionId)[0].attempts).toHaveLength(log.length)
    expect(inspector.faults().downUntil).toBeUndefined()
    // The client's backoff has jitter: its retries may take several seconds to reach the end of the outage.
  }, 20_000)

  test('a stall sends headers and then nothing: the client times the attempt out and resends; the stalled connection ends with it', async () => {
    const { baseUrl, inspector, close } = await start()
    inspector.fail({ kind: 'stall' })
    const { hh, errors } = client(baseUrl, { timeoutMs: 300 })
    hh.log({ model: 'gpt-4o' })
    await hh.flush()
    expect(errors).toEqual([])
    expect(inspector.requests().map((request) => [request.status, request.fault, request.note])).toEqual([
      [200, 'stall', 'stalled: 200 headers sent, no body'],
      [200, undefined, undefined],
    ])
    expect(inspector.events(hh.sessionId)).toMatchObject([
      { stored: 1, attempts: [{ stored: false }, { stored: true }] },
    ])
    // Nothing is left hanging: the server closes at once.
    const closing = Date.now()
    await close()
    expect(Date.now() - closing).toBeLessThan(1000)
  })

  test('the page API schedules faults from JSON only, checks them, and clears them', async () => {
    const { baseUrl, inspector } = await start()
    const control = (body: unknown, type = 'application/json') =>
      fetch(`${baseUrl}/api/faults`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body) })
    expect((await control({ kind: '429' }, 'text/plain')).status).toBe(415)
    expect((await control({ kind: '404' })).status).toBe(400)
    expect((await control({ kind: '429', retryAfter: -1 })).status).toBe(400)
    expect(await (await control({ kind: '429', retryAfter: 3, count: 2 })).json()).toEqual({
      pending: ['429 Retry-After 3 s', '429 Retry-After 3 s'],
    })
    expect(((await (await control({ down: 30 })).json()) as { downUntil: number }).downUntil).toBeGreaterThan(
      Date.now(),
    )
    expect(await (await control({ clear: true })).json()).toEqual({ pending: [] })
    expect(inspector.faults()).toEqual({ pending: [] })
  })
})

describe('the key', () => {
  test('with a key, a request without Authorization gets 401 and one with another key 404; neither says the key', async () => {
    const key = 'hh-inspector-secret-9d1e'
    const { baseUrl, inspector } = await start({ apiKey: key })
    const body = { model_events: [{ model: 'gpt-4o' }] }
    const missing = await post(`${baseUrl}/events/model/batch`, body)
    const wrong = await post(`${baseUrl}/events/model/batch`, body, { authorization: 'Bearer nope' })
    const right = await post(`${baseUrl}/events/model/batch`, body, { authorization: `Bearer ${key}` })
    expect([missing.status, wrong.status, right.status]).toEqual([401, 404, 200])
    for (const text of [await missing.text(), await wrong.text(), JSON.stringify(inspector.requests())])
      expect(text).not.toContain(key)
    // A fault is played only on a request the key lets through.
    inspector.fail({ kind: '500' })
    expect((await post(`${baseUrl}/events/model/batch`, body)).status).toBe(401)
    expect((await post(`${baseUrl}/events/model/batch`, body, { authorization: `Bearer ${key}` })).status).toBe(500)
  })
})

describe('memory', () => {
  const session = async (baseUrl: string, id: string, count: number) => {
    const events = Array.from({ length: count }, () => ({
      event_id: crypto.randomUUID(),
      session_id: id,
      model: 'gpt-4o',
    }))
    await post(`${baseUrl}/events/model/batch`, { model_events: events })
    return events.map((event) => event.event_id)
  }

  test('past maxEvents the least recently active session is dropped whole; a session alone over it keeps its newest events', async () => {
    const { baseUrl, inspector } = await start({ maxEvents: 5 })
    const [a, b, c, d] = [1, 2, 3, 4].map(() => crypto.randomUUID())
    await session(baseUrl, a, 2)
    await session(baseUrl, b, 2)
    await session(baseUrl, c, 2)
    expect(inspector.sessions().map((summary) => summary.session_id)).toEqual([c, b])
    await session(baseUrl, b, 1)
    await session(baseUrl, d, 1)
    // b received after c, so c was the least recently active.
    expect(inspector.sessions().map((summary) => summary.session_id)).toEqual([d, b])
    expect(inspector.events()).toHaveLength(4)
    const newest = await session(baseUrl, d, 7)
    expect(inspector.sessions().map((summary) => summary.session_id)).toEqual([d])
    expect(inspector.events(d).map((event) => event.event_id)).toEqual(newest.slice(2))
    expect(inspector.event(newest[0])).toBeUndefined()
  })

  test('the record also holds at most maxBytes of estimated heap and the last maxRequests requests', () => {
    // About 2.4 KB an event: 1,000 characters of model and what the record holds of it.
    const record = createRecord({ maxEvents: 100, maxBytes: 7500, maxRequests: 3 })
    let at = Date.now()
    const arrive = (session_id: string, size: number) => {
      const event = { event_id: crypto.randomUUID(), session_id, model: 'x'.repeat(size) }
      return record.add({
        at: (at += 1000),
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
    arrive('a', 1000)
    arrive('b', 1000)
    arrive('c', 1000)
    expect(record.size()).toMatchObject({ events: 3, sessions: 3 })
    const change = arrive('d', 1000)
    expect(change.dropped).toEqual({ sessions: ['a'], events: [] })
    expect(record.sessions().map((session) => session.session_id)).toEqual(['d', 'c', 'b'])
    expect(record.size().bytes).toBeLessThanOrEqual(7500)
    expect(record.requests().map((request) => request.id)).toEqual([2, 3, 4])
    // One event larger than the whole bound is not kept at all.
    expect(arrive('e', 20_000).events).toEqual([])
  })
})

describe('the page and its live stream', () => {
  test('the stream starts with everything kept and then carries each request as it is answered', async () => {
    const { baseUrl } = await start()
    await post(`${baseUrl}/events/model/batch`, { model_events: [{ model: 'first', session_id: crypto.randomUUID() }] })
    const controller = new AbortController()
    const response = await fetch(`${baseUrl}/api/stream`, { signal: controller.signal })
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += (await reader.read()).value ?? ''
    }
    await until(/event: snapshot\ndata: (.*)\n\n/)
    const snapshot = JSON.parse(/event: snapshot\ndata: (.*)\n\n/.exec(text)![1])
    expect(snapshot.events.map((event: { model: string }) => event.model)).toEqual(['first'])
    await post(`${baseUrl}/v1/events/batch`, {
      events: [{ event_type: 'model', inputs: {}, config: { model: 'second' } }],
    })
    await until(/event: change\ndata: (.*)\n\n/)
    const change = JSON.parse(/event: change\ndata: (.*)\n\n/.exec(text)![1])
    expect(change.request).toMatchObject({ id: 2, path: '/v1/events/batch', status: 200 })
    expect(change.events.map((event: { model: string }) => event.model)).toEqual(['second'])
    controller.abort()
  })

  test('the page and its files are served; another Host header is refused (DNS rebinding), on the batch routes too', async () => {
    const { baseUrl, port } = await start()
    const page = await fetch(`${baseUrl}/`)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(await page.text()).toContain('<script type="module" src="/inspector-page.js">')
    for (const file of ['/inspector-page.js', '/inspector-page.css'])
      expect((await fetch(`${baseUrl}${file}`)).status).toBe(200)
    const asHost = (path: string, host: string, method = 'GET', body?: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          { host: '127.0.0.1', port, path, method, headers: { host, 'content-type': 'application/json' } },
          (response) => {
            response.resume()
            resolve(response.statusCode!)
          },
        )
        request.on('error', reject)
        request.end(body)
      })
    expect(await asHost('/api/state', `attacker.example:${port}`)).toBe(403)
    expect(await asHost('/', `localhost:${port}`)).toBe(200)
    expect(
      await asHost('/events/model/batch', `attacker.example:${port}`, 'POST', JSON.stringify({ model_events: [] })),
    ).toBe(403)
  })

  test('startInspector says when the port is taken', async () => {
    const { port } = await start()
    await expect(startInspector({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })
})
