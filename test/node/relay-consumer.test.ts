import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { HttpError, InvalidResponseError, NetworkError, TimeoutError, type HoneyHiveError } from '../../src/index.js'
import { judgeConsumerFailure } from '../../src/consumer-policy.js'
import { serve } from '../../src/node.js'
import { createRelay, type QueueMessage, type RelayOptions } from '../../src/relay.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { deadBaseUrl } from '../helpers/fake-server.js'

// The Queues consumer against a hostile upstream and hostile messages (issue 23 items 1-3), with Workers-shaped
// batch objects: what it may ack, what it must retry, what it must never send, and where.

const key = 'hh-consumer-key-77c1'
const origin = 'https://chat.example.com'
const honeyhive = createFakeHoneyHive({ apiKey: key })
/** What the upstream answers instead of HoneyHive, while set. */
let answer: ((request: Request, text: string) => Response | undefined) | undefined
let upstream: Awaited<ReturnType<typeof serve>>
/** Requests that reached the upstream. */
let hits = 0
beforeAll(async () => {
  upstream = await serve(async (request) => {
    hits++
    const text = await request.clone().text()
    return answer?.(request, text) ?? honeyhive(request)
  })
})
afterAll(async () => {
  await upstream?.close()
})

/** A queue relay in front of the upstream; `urls` records every URL its fetch was asked for. */
function setup(options: Partial<RelayOptions> = {}) {
  honeyhive.reset()
  answer = undefined
  const produced: unknown[] = []
  const errors: HoneyHiveError[] = []
  const urls: string[] = []
  const relay = createRelay({
    apiKey: key,
    baseUrl: upstream.url,
    allowedOrigins: [origin],
    onError: (error) => errors.push(error),
    queue: { sendBatch: async (messages) => void produced.push(...[...messages].map((message) => message.body)) },
    fetch: (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      urls.push(url)
      // Nothing leaves 127.0.0.1: any other host is answered here, never resolved.
      if (new URL(url).hostname !== '127.0.0.1') return Promise.resolve(Response.json({ event_ids: [], success: true }))
      return fetch(input, init)
    },
    ...options,
  })
  const post = async (events: object[]) => {
    const response = await relay(
      new Request('https://relay.example.com/', {
        method: 'POST',
        headers: { origin },
        body: JSON.stringify({ model_events: events }),
      }),
    )
    expect(response.status).toBe(202)
  }
  /** One delivery of `bodies` as a Workers batch (attempts as the queue counts them); resolves each message's fate. */
  const consume = async (bodies: unknown[], attempts = 1) => {
    const outcome: string[] = []
    const messages: QueueMessage[] = bodies.map((body, i) => ({
      id: `m${i}`,
      body,
      attempts,
      ack: () => void outcome.push(`m${i} ack`),
      retry: () => void outcome.push(`m${i} retry`),
    }))
    await relay.consume({ messages })
    return outcome
  }
  return { relay, produced, errors, urls, post, consume }
}

const messages = (errors: HoneyHiveError[]) => errors.map((error) => error.message)

describe('the consumer never sends the key anywhere but the configured upstream', () => {
  test.each([
    ['a route that extends the host', 'https://api.honeyhive.ai', '.attacker.example/x'],
    ['a route that puts the host in credentials', 'http://localhost', '@127.0.0.1:PORT/x'],
    ['a full URL as route', 'https://api.honeyhive.ai', 'http://127.0.0.1:PORT/events/model/batch'],
  ])('%s: acked, reported, nothing sent', async (_, baseUrl, route) => {
    const closed = new URL(await deadBaseUrl()).port
    const { errors, urls, consume } = setup({ baseUrl })
    const body = { route: route.replace('PORT', closed), events: [{ event_id: crypto.randomUUID(), model: 'm' }] }
    expect(await consume([body])).toEqual(['m0 ack'])
    expect(urls).toEqual([])
    expect(messages(errors)).toEqual([expect.stringMatching(/^Queue message m0 is not a relay batch/)])
    expect(JSON.stringify(messages(errors))).not.toContain(key)
  })

  test('an update message whose event id is not a UUID (a path to another host) is acked and never sent', async () => {
    const { errors, urls, consume } = setup()
    const body = { route: '/v1/events/batch', update: { event_id: '@127.0.0.1:9/x', feedback: { rating: 1 } } }
    expect(await consume([body])).toEqual(['m0 ack'])
    expect(urls).toEqual([])
    expect(messages(errors)).toEqual([expect.stringMatching(/^Queue message m0 is not a relay batch or update/)])
  })

  test("a message of this relay's own producer is still sent to the configured upstream", async () => {
    const { produced, urls, post, consume } = setup()
    await post([{ model: 'a' }])
    expect(await consume(produced)).toEqual(['m0 ack'])
    expect(urls).toEqual([`${upstream.url}/events/model/batch`])
    expect(honeyhive.events.map((event) => event.model)).toEqual(['a'])
  })
})

describe('only HoneyHive’s own refusals settle a message', () => {
  test.each([
    [
      'a 200 HTML page (a login or maintenance page)',
      () => new Response('<html>Sign in</html>', { headers: { 'content-type': 'text/html' } }),
      /2xx.*not HoneyHive's.*baseUrl/,
    ],
    [
      'a 301 redirect',
      () => new Response(null, { status: 301, headers: { location: 'https://elsewhere.example/' } }),
      /301.*redirect.*baseUrl/,
    ],
    [
      'a 302 redirect',
      () => new Response(null, { status: 302, headers: { location: '/login' } }),
      /302.*redirect.*baseUrl/,
    ],
    [
      'a 405 (a wrong path in HH_BASE_URL)',
      () => new Response('Method Not Allowed', { status: 405 }),
      /405.*not allowed.*baseUrl/,
    ],
    [
      'a 400 HTML page from a proxy',
      () => new Response('<html>Bad Request</html>', { status: 400 }),
      /400.*not HoneyHive's JSON.*baseUrl/,
    ],
  ])('%s: retried and reported, then delivered once the upstream is fixed', async (_, misconfigured, said) => {
    const { errors, produced, post, consume } = setup()
    await post([{ model: 'a' }, { model: 'b' }])
    answer = misconfigured
    expect(await consume(produced)).toEqual(['m0 retry'])
    expect(honeyhive.events).toEqual([])
    expect(messages(errors)).toEqual([expect.stringMatching(said)])
    expect(messages(errors)[0]).toMatch(/retried/)
    answer = undefined
    expect(await consume(produced, 2)).toEqual(['m0 ack'])
    expect(honeyhive.events.map((event) => event.model)).toEqual(['a', 'b'])
  })

  test('a maintenance page answered for longer than the sends budget (12 redeliveries) gives nothing up', async () => {
    const { errors, produced, post, consume } = setup()
    await post([{ model: 'a' }])
    answer = () => new Response('<html>Down for maintenance</html>')
    for (let attempts = 1; attempts <= 12; attempts++) expect(await consume(produced, attempts)).toEqual(['m0 retry'])
    expect(errors.filter((error) => error.name === 'DroppedError')).toEqual([])
    answer = undefined
    expect(await consume(produced, 13)).toEqual(['m0 ack'])
    expect(honeyhive.events.map((event) => event.model)).toEqual(['a'])
  })

  test("HoneyHive's JSON 400 for one event acks it (reported), and the events merged with it are delivered", async () => {
    const { errors, produced, post, consume } = setup()
    await post([{ model: 'good' }])
    await post([{ model: 'refused' }])
    answer = (_, text) =>
      text.includes('refused')
        ? Response.json({ statusCode: 400, message: 'bad event', success: false }, { status: 400 })
        : undefined
    expect(await consume(produced)).toEqual(['m0 ack', 'm1 ack'])
    expect(honeyhive.events.map((event) => event.model)).toEqual(['good'])
    expect(messages(errors)).toEqual(['HoneyHive answered 400: bad event'])
  })
})

describe('one event HoneyHive fails on does not take the others down', () => {
  test('repeated 500s on a merged request isolate the event: the 19 good events are delivered once, the bad one given up', async () => {
    const { errors, produced, post, consume } = setup()
    for (let i = 0; i < 20; i++)
      await post([{ model: `page ${i}`, inputs: { text: i === 7 ? 'nul \u0000 here' : 'fine' } }])
    // HoneyHive's answer to the NUL character in the review: 500, for the whole request.
    answer = (_, text) =>
      text.includes('\\u0000')
        ? Response.json({ statusCode: 500, message: 'Internal error', success: false }, { status: 500 })
        : undefined
    let pending = produced
    const requests: number[] = []
    for (let attempts = 1; attempts <= 10 && pending.length > 0; attempts++) {
      const before = hits
      const outcome = await consume(pending, attempts)
      requests.push(hits - before)
      pending = pending.filter((_, i) => outcome.includes(`m${i} retry`))
    }
    expect(pending).toEqual([])
    const stored = honeyhive.events.map((event) => event.model)
    expect(stored.sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `page ${i}`)
        .filter((model) => model !== 'page 7')
        .sort(),
    )
    // The first 500 may be an outage; the second bisects: about two requests per halving, not one per event.
    expect(requests[1]).toBeLessThanOrEqual(12)
    expect(errors.filter((error) => error.name === 'DroppedError')).toHaveLength(1)
    expect(errors.find((error) => error.name === 'DroppedError')!.eventIds).toHaveLength(1)
  })

  test('during an outage of 500s a redelivery costs at most three requests per merged request, and nothing is acked', async () => {
    const { produced, post, consume } = setup()
    for (let i = 0; i < 10; i++) await post([{ model: `page ${i}` }])
    answer = () => Response.json({ statusCode: 500, message: 'Internal error', success: false }, { status: 500 })
    expect(await consume(produced, 1)).toEqual(produced.map((_, i) => `m${i} retry`))
    const before = hits
    expect(await consume(produced, 2)).toEqual(produced.map((_, i) => `m${i} retry`))
    expect(hits - before).toBe(3)
  })
})

describe('an event is sent once per consumer batch', () => {
  // A page's first batch queued in an outage carries session fields; after a partial enqueue the page sends it
  // again, and both messages can come in one batch: each with fields goes alone, its events still once.
  test('two messages with session fields and the same events: one request per event set, both acked', async () => {
    const { consume } = setup()
    const session_id = crypto.randomUUID()
    const events = [1, 2, 3].map((i) => ({ event_id: crypto.randomUUID(), session_id, model: `turn ${i}` }))
    const body = { route: '/events/model/batch', events, fields: { session_properties: { session_name: 'chat' } } }
    const before = hits
    expect(await consume([body, structuredClone(body), { route: '/events/model/batch', events }])).toEqual([
      'm0 ack',
      'm1 ack',
      'm2 ack',
    ])
    expect(hits - before).toBe(1)
    expect(honeyhive.events.map((event) => event.model).sort()).toEqual(['turn 1', 'turn 2', 'turn 3'])
  })
})

describe('the consumer policy, as a table', () => {
  const http = (status: number, body: unknown = { statusCode: status, message: 'x', success: false }) =>
    new HttpError(status, body, ['id'])
  test.each([
    ['a network error', new NetworkError(['id']), 1, 0, 'retry'],
    ['a timeout', new TimeoutError(['id']), 1, 1, 'retry'],
    ['a 2xx that is not HoneyHive’s', new InvalidResponseError('<html>', ['id']), 1, 0, 'retry'],
    ['a JSON 400 for one event', http(400), 1, 0, 'refuse'],
    ['a JSON 422 for merged events', http(422), 5, 0, 'split'],
    ['an HTML 400', http(400, '<html>'), 5, 0, 'retry'],
    ['a 413 for one event', http(413, 'too big'), 1, 0, 'refuse'],
    ['a 413 for merged events', http(413, 'too big'), 2, 0, 'split'],
    ['a first 500 for merged events', http(500), 5, 1, 'retry'],
    ['a repeated 500 for merged events', http(500), 5, 2, 'bisect'],
    ['a repeated 500 for one event', http(500), 1, 5, 'retry'],
    ['a repeated 503 for merged events', http(503), 5, 5, 'retry'],
    ['a 404 (a rejected key)', http(404), 5, 0, 'retry'],
    ['a 401', http(401), 5, 0, 'retry'],
    ['a 302', http(302, ''), 5, 0, 'retry'],
    ['a 405', http(405), 5, 0, 'retry'],
    ['a 409', http(409), 5, 0, 'retry'],
  ])('%s', (_, error, count, sends, action) => {
    expect(judgeConsumerFailure(error, count as number, sends as number).action).toBe(action)
  })

  test('a misconfiguration is reported with what to check; a passing fault is not', () => {
    expect(judgeConsumerFailure(http(405), 1, 0).hint).toMatch(/wrong path.*baseUrl/)
    expect(judgeConsumerFailure(http(503), 1, 0).hint).toBeUndefined()
  })
})
