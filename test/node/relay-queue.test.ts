import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createClient, type HoneyHiveError } from '../../src/index.js'
import { serve } from '../../src/node.js'
import { createRelay, type QueueMessage } from '../../src/relay.js'
import { createFakeHoneyHive } from '../../src/testing.js'

// The durable relay's producer and consumer in Node (issue 13), with Queues bindings shaped as in Workers:
// the paths a real local queue cannot be made to take (a refusing queue, a redelivered message, message and
// sendBatch limits). The real queue, under wrangler dev, is test/wrangler-dev/queues.test.ts.

const key = 'hh-queue-relay-key-4d19'
const origin = 'https://chat.example.com'
const honeyhive = createFakeHoneyHive({ apiKey: key })
let upstream: Awaited<ReturnType<typeof serve>>
beforeAll(async () => {
  upstream = await serve(honeyhive)
})
afterAll(async () => {
  await upstream?.close()
})

describe('the producer and consumer in Node', () => {
  test('a queue that refuses gets the page a 503 with Retry-After, and the client delivers again once it accepts', async () => {
    const sent: unknown[] = []
    let refusals = 1
    const queue = {
      async sendBatch(messages: Iterable<{ body: unknown }>) {
        if (refusals-- > 0) throw new Error('Queue is over its backlog limit')
        sent.push(...[...messages].map((message) => message.body))
      },
    }
    const errors: HoneyHiveError[] = []
    const relay = createRelay({
      apiKey: key,
      baseUrl: upstream.url,
      allowedOrigins: [origin],
      queue,
      onError: (error) => errors.push(error),
    })
    const statuses: number[] = []
    const page = createClient({
      baseUrl: 'https://relay.example.com',
      maxRetryAfterMs: 5000,
      fetch: async (input, init) => {
        const request = new Request(input, init)
        const response = await relay(
          new Request(request, { headers: { ...Object.fromEntries(request.headers), origin } }),
        )
        statuses.push(response.status)
        return response
      },
    })
    const id = page.log({ model: 'gpt-4o' })
    expect(await page.flush()).toMatchObject({ sent: 1, queued: 0 })
    expect(statuses).toEqual([503, 202])
    expect(sent).toMatchObject([{ route: '/events/model/batch', events: [{ event_id: id, model: 'gpt-4o' }] }])
    expect(errors.map((error) => error.message)).toEqual([
      'The queue refused the events; the page was told to retry (503)',
    ])
  }, 20_000)

  test('a big page batch is split into messages under 128 KB and sendBatch calls of at most 100 messages and 256 KB; huge events are truncated to fit', async () => {
    const calls: Array<Array<{ body: unknown }>> = []
    const queue = { sendBatch: async (messages: Iterable<{ body: unknown }>) => void calls.push([...messages]) }
    const relay = createRelay({
      apiKey: key,
      baseUrl: upstream.url,
      allowedOrigins: [origin],
      queue,
      maxBodyBytes: 4 * 1024 * 1024,
      maxEvents: 1000,
    })
    const events = [
      ...Array.from({ length: 400 }, () => ({ inputs: { text: 'y'.repeat(2000) } })),
      { inputs: { text: 'z'.repeat(300_000) } },
    ]
    const response = await relay(
      new Request('https://relay.example.com/', {
        method: 'POST',
        headers: { origin },
        body: JSON.stringify({ model_events: events }),
      }),
    )
    expect(response.status).toBe(202)
    const messages = calls.flat()
    expect(messages.reduce((sum, message) => sum + (message.body as { events: unknown[] }).events.length, 0)).toBe(401)
    for (const message of messages)
      expect(new TextEncoder().encode(JSON.stringify(message.body)).length).toBeLessThan(127_000)
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(100)
      expect(
        call.reduce((sum, message) => sum + new TextEncoder().encode(JSON.stringify(message.body)).length, 0),
      ).toBeLessThanOrEqual(256_000)
    }
    expect(JSON.stringify(messages.at(-1)!.body)).toContain('[truncated')
  })

  test('a message redelivered after its events were delivered (a consumer that failed before acking) sends nothing again', async () => {
    honeyhive.reset()
    const produced: Array<{ body: unknown }> = []
    const relay = createRelay({
      apiKey: key,
      baseUrl: upstream.url,
      allowedOrigins: [origin],
      queue: { sendBatch: async (messages) => void produced.push(...messages) },
    })
    await relay(
      new Request('https://relay.example.com/', {
        method: 'POST',
        headers: { origin },
        body: JSON.stringify({ model_events: [{ model: 'a' }, { model: 'b' }] }),
      }),
    )
    const deliveries = (attempts: number) => {
      const outcome: string[] = []
      const message: QueueMessage = {
        id: 'm-1',
        body: produced[0].body,
        attempts,
        ack: () => void outcome.push('ack'),
        retry: () => void outcome.push('retry'),
      }
      return { batch: { messages: [message] }, outcome }
    }
    const first = deliveries(1)
    await relay.consume(first.batch)
    const again = deliveries(2)
    await relay.consume(again.batch)
    expect([first.outcome, again.outcome]).toEqual([['ack'], ['ack']])
    expect(honeyhive.events.map((event) => event.model)).toEqual(['a', 'b'])
  })

  const produce = async (
    relay: ReturnType<typeof createRelay>,
    produced: Array<{ body: unknown }>,
    models: string[],
  ) => {
    for (const model of models)
      await relay(
        new Request('https://relay.example.com/', {
          method: 'POST',
          headers: { origin },
          body: JSON.stringify({ model_events: [{ model }] }),
        }),
      )
    return produced
  }
  const consumeOnce = async (relay: ReturnType<typeof createRelay>, bodies: unknown[], attempts = 1) => {
    const outcome: string[] = []
    const messages: QueueMessage[] = bodies.map((body, i) => ({
      id: `m${i}`,
      body,
      attempts,
      ack: () => void outcome.push(`m${i} ack`),
      retry: () => void outcome.push(`m${i} retry`),
    }))
    await relay.consume({ messages }).catch(() => outcome.push('threw'))
    return outcome
  }

  test('a HoneyHive slower than the consumer’s time limit gets the time it needs on redelivery, not a copy each time', async () => {
    honeyhive.reset()
    const produced: Array<{ body: unknown }> = []
    const relay = createRelay({
      apiKey: key,
      baseUrl: upstream.url,
      allowedOrigins: [origin],
      timeoutMs: 100,
      onError: () => {},
      queue: { sendBatch: async (messages) => void produced.push(...messages) },
    })
    await produce(relay, produced, ['a'])
    let outcome: string[] = []
    for (let attempts = 1; attempts <= 6 && !outcome.includes('m0 ack'); attempts++) {
      // HoneyHive stores and answers in 150 ms, every time.
      honeyhive.fail({ delayMs: 150 })
      outcome = await consumeOnce(relay, [produced[0].body], attempts)
    }
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(honeyhive.events.length).toBeLessThanOrEqual(2)
    expect(outcome).toEqual(['m0 ack'])
  })

  test('session fields that would not fit a message with the events still get the page a 202 (they are delivered at once)', async () => {
    const statuses: number[] = []
    const queue = {
      async sendBatch(messages: Iterable<{ body: unknown }>) {
        // Cloudflare refuses a message over 128 KB.
        for (const message of messages)
          if (new TextEncoder().encode(JSON.stringify(message.body)).length > 128_000)
            throw new Error('message too large')
      },
    }
    const relay = createRelay({
      apiKey: key,
      baseUrl: upstream.url,
      allowedOrigins: [origin],
      queue,
      onError: () => {},
    })
    const page = createClient({
      baseUrl: 'https://relay.example.com',
      sessionProperties: { session_name: 'chat', metadata: { profile: 'p'.repeat(20_000) } },
      maxRetries: 0,
      onError: () => {},
      fetch: async (input, init) => {
        const request = new Request(input, init)
        const response = await relay(
          new Request(request, { headers: { ...Object.fromEntries(request.headers), origin } }),
        )
        statuses.push(response.status)
        return response
      },
    })
    for (let i = 0; i < 20; i++) page.log({ model: 'm', inputs: { text: 'x'.repeat(6_000) } })
    for (let i = 0; i < 2; i++) await page.flush()
    expect(statuses.length).toBeGreaterThan(0)
    expect(statuses.every((status) => status === 200 || status === 202)).toBe(true)
  }, 30_000)

  test('a malformed message is acked and reported on its own; the good ones are delivered and acked', async () => {
    honeyhive.reset()
    const produced: Array<{ body: unknown }> = []
    const errors: HoneyHiveError[] = []
    const relay = createRelay({
      apiKey: key,
      baseUrl: upstream.url,
      allowedOrigins: [origin],
      onError: (error) => errors.push(error),
      queue: { sendBatch: async (messages) => void produced.push(...messages) },
    })
    await produce(relay, produced, ['good'])
    const outcome = await consumeOnce(relay, [produced[0].body, { route: '/events/model/batch', events: [null] }])
    expect(honeyhive.events.map((event) => event.model)).toEqual(['good'])
    expect(outcome.sort()).toEqual(['m0 ack', 'm1 ack'])
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^Queue message m1 is not a relay batch .*; acked and dropped$/),
    ])
  })

  test("a page's first batch queued during an outage lands in the page's one session with its later batches", async () => {
    honeyhive.reset()
    const produced: Array<{ body: unknown }> = []
    let down = true
    const relay = createRelay({
      apiKey: key,
      baseUrl: upstream.url,
      allowedOrigins: [origin],
      maxRetries: 0,
      onError: () => {},
      queue: { sendBatch: async (messages) => void produced.push(...messages) },
      // HoneyHive's load balancer while it is away.
      fetch: async (input, init) => (down ? new Response('down', { status: 503 }) : fetch(input, init)),
    })
    const page = createClient({
      baseUrl: 'https://relay.example.com',
      singleSession: true,
      sessionProperties: { session_name: 'support chat' },
      fetch: async (input, init) => {
        const request = new Request(input, init)
        return relay(new Request(request, { headers: { ...Object.fromEntries(request.headers), origin } }))
      },
    })
    const first = page.log({ model: 'turn 1' })
    expect(await page.flush()).toMatchObject({ sent: 1 })
    down = false
    const later = [page.log({ model: 'turn 2' }), page.log({ model: 'turn 3' })]
    expect(await page.flush()).toMatchObject({ sent: 2 })
    await consumeOnce(
      relay,
      produced.map((message) => message.body),
    )
    expect(honeyhive.sessions.map((session) => session.session_id)).toEqual([page.sessionId])
    expect(honeyhive.sessions[0].events.map((event) => event.event_id).sort()).toEqual([first, ...later].sort())
  })

  test('a wrong or rotated key (HoneyHive answers 404) retries the backlog instead of acking it away', async () => {
    honeyhive.reset()
    const produced: Array<{ body: unknown }> = []
    const relay = createRelay({
      apiKey: 'hh-old-rotated-key',
      baseUrl: upstream.url,
      allowedOrigins: [origin],
      onError: () => {},
      queue: { sendBatch: async (messages) => void produced.push(...messages) },
    })
    await produce(relay, produced, ['page 0', 'page 1', 'page 2'])
    expect(
      await consumeOnce(
        relay,
        produced.map((message) => message.body),
      ),
    ).toEqual(['m0 retry', 'm1 retry', 'm2 retry'])
  })
})
