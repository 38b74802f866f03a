import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, inject, test } from 'vitest'
import { createClient } from '../../dist/index.js'
import relayWorker, { type RelayEnv } from '../../worker/relay.js'
import { workersKey, workersOrigin } from './upstream.js'

// Runs inside workerd. The fake HoneyHive runs in Node on loopback (global-setup.ts); tests share it, so
// each one looks only at its own event ids.
const upstream = inject('upstreamUrl')

interface Received {
  events: Array<Record<string, unknown>>
  requests: Array<{ method: string; path: string; headers: Record<string, string>; status: number; body: unknown }>
}
const received = async (): Promise<Received> => (await fetch(`${upstream}/__received`)).json()
const script = (...faults: object[]) => fetch(`${upstream}/__fail`, { method: 'POST', body: JSON.stringify(faults) })
const eventsWith = async (ids: string[]) => (await received()).events.filter((event) => ids.includes(String(event.event_id)))
const postsWith = async (id: string) =>
  (await received()).requests.filter((r) => r.method === 'POST' && JSON.stringify(r.body).includes(id))

test('this suite runs inside workerd, not Node', () => {
  expect(navigator.userAgent).toBe('Cloudflare-Workers')
  expect(typeof (globalThis as { WebSocketPair?: unknown }).WebSocketPair).toBe('function')
})

describe('the relay Worker in workerd', () => {
  test('a text/plain beacon from an allowed origin is answered 202 and reaches HoneyHive with the key, after the response', async () => {
    const id = crypto.randomUUID()
    await script({ status: 200, delayMs: 200 })
    const beacon = new Request('https://relay.example.com/events/model/batch', {
      method: 'POST',
      headers: { origin: workersOrigin, 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ model_events: [{ event_id: id, model: 'gpt-4o', provider: 'openai' }] }),
    })
    const ctx = createExecutionContext()
    const response = await relayWorker.fetch(beacon, env as unknown as RelayEnv, ctx)
    expect(response.status).toBe(202)
    expect(response.headers.get('access-control-allow-origin')).toBe(workersOrigin)
    expect(await response.text()).not.toContain(workersKey)
    expect(await eventsWith([id])).toHaveLength(0)
    await waitOnExecutionContext(ctx)
    expect(await eventsWith([id])).toHaveLength(1)
    const [post] = await postsWith(id)
    expect(post.headers.authorization).toBe(`Bearer ${workersKey}`)
  })

  test('another origin is refused and nothing is sent', async () => {
    const id = crypto.randomUUID()
    const ctx = createExecutionContext()
    const request = new Request('https://relay.example.com/', {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
      body: JSON.stringify({ model_events: [{ event_id: id }] }),
    })
    const response = await relayWorker.fetch(request, env as unknown as RelayEnv, ctx)
    expect(response.status).toBe(403)
    await response.body?.cancel()
    await waitOnExecutionContext(ctx)
    expect(await postsWith(id)).toHaveLength(0)
  })

  test('an upstream 500 is retried inside waitUntil', async () => {
    const id = crypto.randomUUID()
    await script({ status: 500 })
    const ctx = createExecutionContext()
    const request = new Request('https://relay.example.com/', {
      method: 'POST',
      headers: { origin: workersOrigin, 'content-type': 'application/json' },
      body: JSON.stringify({ model_events: [{ event_id: id, model: 'x' }] }),
    })
    expect((await relayWorker.fetch(request, env as unknown as RelayEnv, ctx)).status).toBe(202)
    await waitOnExecutionContext(ctx)
    expect((await postsWith(id)).map((r) => r.status)).toEqual([500, 200])
    expect(await eventsWith([id])).toHaveLength(1)
  })
})

describe('the client in workerd', () => {
  test('sends no keepalive or credentials, reads every response body, and retries a 429 with Retry-After', async () => {
    await script({ status: 429, retryAfter: 1 }, { status: 500 })
    const calls: Array<{ request: Request; init?: RequestInit; response: Response }> = []
    const hh = createClient({
      apiKey: workersKey,
      baseUrl: upstream,
      fetch: async (input, init) => {
        const request = new Request(input, init)
        const response = await fetch(request)
        calls.push({ request, init, response })
        return response
      },
    })
    const id = hh.log({ model: 'gpt-4o' })
    const started = Date.now()
    expect(await hh.flush()).toMatchObject({ sent: 1, failed: 0 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect(calls.map((call) => call.response.status)).toEqual([429, 500, 200])
    for (const { request, init, response } of calls) {
      expect(request.keepalive).not.toBe(true)
      expect(init?.keepalive).toBeUndefined()
      expect(init?.credentials).toBeUndefined()
      expect(response.bodyUsed).toBe(true)
    }
    expect(await eventsWith([id])).toHaveLength(1)
    expect(hh.stats()).toMatchObject({ sent: 1, retried: 2 })
  })

  test('a fetch that forwards only the Request it gets (a service binding) delivers, key and body included', async () => {
    const seen: string[] = []
    const hh = createClient({
      apiKey: workersKey,
      baseUrl: upstream,
      // As `fetch: (request) => env.HONEYHIVE.fetch(request)` would: nothing but the Request is passed on.
      fetch: (input) => {
        const request = input as Request
        seen.push(`${request.method} ${request.headers.get('authorization') === `Bearer ${workersKey}`}`)
        return fetch(request)
      },
    })
    const id = hh.log({ model: 'gpt-4o' })
    expect(await hh.flush()).toMatchObject({ sent: 1, failed: 0 })
    expect(seen).toEqual(['POST true'])
    expect(await eventsWith([id])).toHaveLength(1)
  })
})
