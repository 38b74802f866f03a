import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { serve } from '../../src/node.js'
import { createFeedbackToken } from '../../src/relay.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { posts } from '../helpers/fake-server.js'
import { hasWrangler, startWranglerDev, type WranglerDev } from '../helpers/wrangler-dev.js'

// The relay Worker of wrangler.toml, served by `wrangler dev` (workerd, offline), posting to a loopback
// fake HoneyHive: the path a browser's beacon takes in production.

// A missing wrangler or workerd fails the run under CI=true; locally this file is skipped with a hint.
const available = hasWrangler
const ci = process.env.CI === 'true'
if (!available && !ci)
  console.warn(
    '[wrangler dev suite] skipped: wrangler or workerd is missing; run `npm ci` (devDependency "wrangler" 4.86.0)',
  )

const key = 'hh-wrangler-dev-key-77e2'
const origin = 'https://chat.example.com'
const honeyhive = createFakeHoneyHive({ apiKey: key })
let upstream: Awaited<ReturnType<typeof serve>> | undefined
let relay: WranglerDev | undefined
let relayUrl = ''
const feedbackSecret = 'wrangler-dev-feedback-secret-9876543210'
/** Event updates (PUT) that reached the upstream. */
const updates: Array<{ path: string; authorization: string | null; body: unknown }> = []
const output = () => relay?.output() ?? ''

describe.skipIf(!available && !ci)('the relay under wrangler dev', () => {
  beforeAll(async () => {
    if (!available) throw new Error('wrangler or workerd is missing (CI=true makes this a failure): run `npm ci`')
    upstream = await serve(async (request) => {
      if (request.method !== 'PUT') return honeyhive(request)
      updates.push({
        path: new URL(request.url).pathname,
        authorization: request.headers.get('authorization'),
        body: await request.json(),
      })
      return new Response(null, { status: 200 })
    })
    relay = await startWranglerDev(
      { apiKey: key, baseUrl: upstream.url, allowedOrigins: origin },
      (text) => text.split(key).join('[key]'),
      {
        vars: { HH_FEEDBACK_SECRET: feedbackSecret },
      },
    )
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
      body: JSON.stringify({
        model_events: [
          { event_id: id, model: 'gpt-4o', provider: 'openai', messages: [{ role: 'user', content: 'hi' }] },
        ],
      }),
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
    const allowed = await fetch(relayUrl, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    })
    expect(allowed.status).toBe(204)
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin)
    const other = await fetch(relayUrl, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: '{"model_events":[]}',
    })
    expect(other.status).toBe(403)
    await other.body?.cancel()
  })

  test('feedback with a valid token is forwarded in waitUntil with the key; one for another event gets 403', async () => {
    const eventId = crypto.randomUUID()
    const send = async (token: string) => {
      const response = await fetch(relayUrl, {
        method: 'PUT',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ event_id: eventId, feedback: { rating: 0 }, token }),
      })
      const text = await response.text()
      expect(text).not.toContain(feedbackSecret)
      return response.status
    }
    expect(await send(await createFeedbackToken({ secret: feedbackSecret, eventId: crypto.randomUUID() }))).toBe(403)
    expect(await send(await createFeedbackToken({ secret: feedbackSecret, eventId }))).toBe(202)
    await vi.waitFor(() => expect(updates).toHaveLength(1), { timeout: 10_000 })
    expect(updates).toEqual([
      { path: '/events', authorization: `Bearer ${key}`, body: { event_id: eventId, feedback: { rating: 0 } } },
    ])
    expect(output().includes(feedbackSecret)).toBe(false)
  }, 30_000)
})
