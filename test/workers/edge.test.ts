import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, inject, test } from 'vitest'
import relayWorker, { type RelayEnv } from '../../worker/relay.js'
import { upstreamOf } from '../scenarios/upstream.js'
import { workersKey, workersOrigin } from './upstream.js'

// Runs inside workerd: what only Workers have, the relay Worker of wrangler.toml configured from its env
// bindings (the example Worker is in providers.test.ts). The behaviour every runtime shares is in scenarios.test.ts (test/scenarios/).
// The fake HoneyHive runs in Node on loopback (global-setup.ts); tests share it, so each one looks only at
// its own event ids.
const upstream = inject('upstreamUrl')

const { script, eventsWith, postsWith } = upstreamOf(upstream)

test('this suite runs inside workerd, not Node', () => {
  expect(navigator.userAgent).toBe('Cloudflare-Workers')
  expect(typeof (globalThis as { WebSocketPair?: unknown }).WebSocketPair).toBe('function')
})

describe('the relay Worker in workerd', () => {
  test('configured from its env bindings, it answers a text/plain beacon from an allowed origin with 202 and delivers it with the key after the response', async () => {
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
})
