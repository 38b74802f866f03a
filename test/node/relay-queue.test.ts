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
    const relay = createRelay({ apiKey: key, baseUrl: upstream.url, allowedOrigins: [origin], queue, onError: (error) => errors.push(error) })
    const statuses: number[] = []
    const page = createClient({
      baseUrl: 'https://relay.example.com',
      maxRetryAfterMs: 5000,
      fetch: async (input, init) => {
        const request = new Request(input, init)
        const response = await relay(new Request(request, { headers: { ...Object.fromEntries(request.headers), origin } }))
        statuses.push(response.status)
        return response
      },
    })
    const id = page.log({ model: 'gpt-4o' })
    expect(await page.flush()).toMatchObject({ sent: 1, queued: 0 })
    expect(statuses).toEqual([503, 202])
    expect(sent).toMatchObject([{ route: '/events/model/batch', events: [{ event_id: id, model: 'gpt-4o' }] }])
    expect(errors.map((error) => error.message)).toEqual(['The queue refused the events; the page was told to retry (503)'])
  }, 20_000)

  test('a big page batch is split into messages under 128 KB and sendBatch calls of at most 100 messages and 256 KB; huge events are truncated to fit', async () => {
    const calls: Array<Array<{ body: unknown }>> = []
    const queue = { sendBatch: async (messages: Iterable<{ body: unknown }>) => void calls.push([...messages]) }
    const relay = createRelay({ apiKey: key, baseUrl: upstream.url, allowedOrigins: [origin], queue, maxBodyBytes: 4 * 1024 * 1024, maxEvents: 1000 })
    const events = [...Array.from({ length: 400 }, () => ({ inputs: { text: 'y'.repeat(2000) } })), { inputs: { text: 'z'.repeat(300_000) } }]
    const response = await relay(new Request('https://relay.example.com/', { method: 'POST', headers: { origin }, body: JSON.stringify({ model_events: events }) }))
    expect(response.status).toBe(202)
    const messages = calls.flat()
    expect(messages.reduce((sum, message) => sum + (message.body as { events: unknown[] }).events.length, 0)).toBe(401)
    for (const message of messages) expect(new TextEncoder().encode(JSON.stringify(message.body)).length).toBeLessThan(127_000)
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(100)
      expect(call.reduce((sum, message) => sum + new TextEncoder().encode(JSON.stringify(message.body)).length, 0)).toBeLessThanOrEqual(256_000)
    }
    expect(JSON.stringify(messages.at(-1)!.body)).toContain('[truncated')
  })

  test('a message redelivered after its events were delivered (a consumer that failed before acking) sends nothing again', async () => {
    honeyhive.reset()
    const produced: Array<{ body: unknown }> = []
    const relay = createRelay({ apiKey: key, baseUrl: upstream.url, allowedOrigins: [origin], queue: { sendBatch: async (messages) => void produced.push(...messages) } })
    await relay(new Request('https://relay.example.com/', { method: 'POST', headers: { origin }, body: JSON.stringify({ model_events: [{ model: 'a' }, { model: 'b' }] }) }))
    const deliveries = (attempts: number) => {
      const outcome: string[] = []
      const message: QueueMessage = { id: 'm-1', body: produced[0].body, attempts, ack: () => void outcome.push('ack'), retry: () => void outcome.push('retry') }
      return { batch: { messages: [message] }, outcome }
    }
    const first = deliveries(1)
    await relay.consume(first.batch)
    const again = deliveries(2)
    await relay.consume(again.batch)
    expect([first.outcome, again.outcome]).toEqual([['ack'], ['ack']])
    expect(honeyhive.events.map((event) => event.model)).toEqual(['a', 'b'])
  })
})
