import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { serve } from '../../src/node.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { posts } from '../helpers/fake-server.js'
import { hasWrangler, startWranglerDev, type WranglerDev } from '../helpers/wrangler-dev.js'

// The relay Worker of wrangler.toml, served by `wrangler dev` (workerd, offline), posting to a loopback
// fake HoneyHive: the path a browser's beacon takes in production.

// A missing wrangler or workerd fails the run under CI=true; locally this file is skipped with a hint.
const available = hasWrangler
const ci = process.env.CI === 'true'
if (!available && !ci) console.warn('[wrangler dev suite] skipped: wrangler or workerd is missing; run `npm ci` (devDependency "wrangler" 4.86.0)')

const key = 'hh-wrangler-dev-key-77e2'
const origin = 'https://chat.example.com'
const honeyhive = createFakeHoneyHive({ apiKey: key })
let upstream: Awaited<ReturnType<typeof serve>> | undefined
let relay: WranglerDev | undefined
let relayUrl = ''
const output = () => relay?.output() ?? ''

describe.skipIf(!available && !ci)('the relay under wrangler dev', () => {
  beforeAll(async () => {
    if (!available) throw new Error('wrangler or workerd is missing (CI=true makes this a failure): run `npm ci`')
    upstream = await serve(honeyhive)
    relay = await startWranglerDev({ apiKey: key, baseUrl: upstream.url, allowedOrigins: origin }, (text) => text.split(key).join('[key]'))
    relayUrl = relay.url
  }, 60_000)

  afterAll(async () => {
    await relay?.stop()
    await upstream?.close()
  })

  test('a text/plain beacon from an allowed origin, posted to wrangler dev, reaches HoneyHive with the key added', async () => {
    const id = crypto.randomUUID()
    const response = await fetch(`${relayUrl}/events/model/batch`, {
      method: 'POST',
      headers: { origin, 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ model_events: [{ event_id: id, model: 'gpt-4o', provider: 'openai', messages: [{ role: 'user', content: 'hi' }] }] }),
    })
    const text = await response.text()
    expect(response.status).toBe(202)
    expect(response.headers.get('access-control-allow-origin')).toBe(origin)
    expect(text).toContain(id)
    expect(text).not.toContain(key)
    await vi.waitFor(() => expect(honeyhive.events.map((event) => event.event_id)).toEqual([id]), { timeout: 10_000 })
    expect(posts(honeyhive)[0].headers.authorization).toBe(`Bearer ${key}`)
    expect(output().includes(key), 'wrangler output contains the key').toBe(false)
  }, 30_000)

  test('wrangler dev answers a preflight for the allowed origin and refuses others', async () => {
    const allowed = await fetch(relayUrl, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } })
    expect(allowed.status).toBe(204)
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin)
    const other = await fetch(relayUrl, { method: 'POST', headers: { origin: 'https://evil.example' }, body: '{"model_events":[]}' })
    expect(other.status).toBe(403)
    await other.body?.cancel()
  })
})
