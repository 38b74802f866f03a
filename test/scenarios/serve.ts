import type { HoneyHiveError } from '../../src/index.js'
import { equal, lacks, ok } from './assert.js'
import type { Capability, Runtime, Scenario, Served } from './runtime.js'
import { runtimes } from './runtimes.js'
import { upstreamOf } from './upstream.js'

// Handlers served the runtime's own way: the relay, and a client created per request that delivers in
// waitUntil. Where the runtime has waitUntil (Workers, edge functions) the answer comes first and the
// delivery after it; elsewhere (Node, Bun and Deno servers) the relay answers with HoneyHive's own answer.

const origin = 'https://chat.example.com'

/** Serves `handler`, checks the runtime's waitUntil matches what its harness declared, and closes it after `use`. */
async function withServed(
  runtime: Runtime,
  handler: Parameters<NonNullable<Runtime['serve']>>[0],
  use: (served: Served) => Promise<void>,
) {
  const served = await runtime.serve!(handler)
  try {
    const declared = (runtimes[runtime.name] as Capability[]).includes('waitUntil')
    if (served.waitUntil !== declared)
      throw new Error(`served.waitUntil is ${served.waitUntil}, but runtimes.ts says ${declared} for ${runtime.name}`)
    await use(served)
  } finally {
    await served.close()
  }
}

export const serveScenarios: Scenario[] = [
  {
    name: 'the relay served by the runtime forwards a text/plain beacon with the key, retries an upstream 500 and refuses another origin',
    needs: ['relay', 'serve'],
    async run(runtime) {
      const { key, url } = runtime.upstream
      const up = upstreamOf(url)
      const errors: HoneyHiveError[] = []
      const relay = runtime.relay!.createRelay({
        apiKey: key,
        baseUrl: url,
        allowedOrigins: [origin],
        onError: (error) => errors.push(error),
      })
      await withServed(runtime, relay, async (served) => {
        const id = crypto.randomUUID()
        await up.script({ status: 500 }, { status: 200, delayMs: 300 })
        const beacon = await served.fetch('/events/model/batch', {
          method: 'POST',
          headers: { origin, 'content-type': 'text/plain;charset=UTF-8' },
          body: JSON.stringify({ model_events: [{ event_id: id, model: 'gpt-4o', provider: 'openai' }] }),
        })
        const text = await beacon.text()
        lacks(text + JSON.stringify([...beacon.headers]), key, 'the relay’s answer')
        equal(beacon.headers.get('access-control-allow-origin'), origin, 'access-control-allow-origin')
        if (served.waitUntil) {
          equal(beacon.status, 202, 'status with waitUntil')
          equal((await up.eventsWith([id])).length, 0, 'copies stored when the 202 arrived')
          await served.settled()
        } else {
          equal(beacon.status, 200, 'status without waitUntil')
          ok(text.includes(id), 'the answer is HoneyHive’s, listing the event id')
        }
        const posts = await up.postsWith(id)
        equal(
          posts.map((post) => post.status),
          [500, 200],
          'upstream answers',
        )
        ok(
          posts.every((post) => post.headers.authorization === `Bearer ${key}`),
          'every upstream request carries the key',
        )
        equal((await up.eventsWith([id])).length, 1, 'copies stored')

        const other = crypto.randomUUID()
        const refused = await served.fetch('/events/model/batch', {
          method: 'POST',
          headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
          body: JSON.stringify({ model_events: [{ event_id: other }] }),
        })
        await refused.body?.cancel()
        equal(refused.status, 403, 'status for another origin')
        await served.settled()
        equal((await up.postsWith(other)).length, 0, 'upstream requests for the refused batch')
        ok(errors.length > 0, 'onError hears of the refused origin')
        for (const error of errors) lacks(error.message, key, 'a relay error')
      })
    },
  },
  {
    name: 'a client created per request delivers in waitUntil after the response',
    needs: ['serve', 'waitUntil'],
    async run(runtime) {
      const { key, url } = runtime.upstream
      const up = upstreamOf(url)
      await up.script({ status: 200, delayMs: 300 })
      // The handler a user writes: a client per request (never at module scope), flushed in waitUntil.
      const handler = async (request: Request, ctx?: { waitUntil(promise: Promise<unknown>): void }) => {
        const hh = runtime.client.createClient({ apiKey: key, baseUrl: url, project: 'edge-chat' })
        const { message } = (await request.json()) as { message: string }
        const span = hh.startModelEvent({
          model: 'gpt-4o-mini',
          provider: 'openai',
          messages: [{ role: 'user', content: message }],
        })
        span.end({ response: { role: 'assistant', content: `echo: ${message}` }, usage: { total_tokens: 7 } })
        ctx!.waitUntil(hh.flush({ timeoutMs: 25_000 }))
        return Response.json({ event_id: span.event_id })
      }
      await withServed(runtime, handler, async (served) => {
        ok(served.waitUntil, 'the handler gets ctx.waitUntil')
        const response = await served.fetch('/chat', {
          method: 'POST',
          body: JSON.stringify({ message: 'hello edge' }),
        })
        const { event_id } = (await response.json()) as { event_id: string }
        equal((await up.eventsWith([event_id])).length, 0, 'copies stored when the response arrived')
        await served.settled()
        const stored = await up.eventsWith([event_id])
        equal(
          stored.map((event) => [event.project, event.model, event.response, event.usage]),
          [['edge-chat', 'gpt-4o-mini', { role: 'assistant', content: 'echo: hello edge' }, { total_tokens: 7 }]],
          'stored events',
        )
        ok(typeof stored[0].duration === 'number' && stored[0].duration >= 0, 'the span has a duration')
      })
    },
  },
  {
    // Issue 11: pages always post the seed's shape; a relay on HoneyHive's current route maps it.
    name: 'a relay on /v1/events/batch takes the seed shape from a page and forwards it in the v1 format',
    needs: ['relay', 'serve'],
    async run(runtime) {
      const { key, url } = runtime.upstream
      const up = upstreamOf(url)
      const relay = runtime.relay!.createRelay({
        apiKey: key,
        baseUrl: url,
        route: '/v1/events/batch',
        allowedOrigins: [origin],
        onError: () => {},
      })
      await withServed(runtime, relay, async (served) => {
        const id = crypto.randomUUID()
        const answer = await served.fetch('/events/model/batch', {
          method: 'POST',
          headers: { origin, 'content-type': 'text/plain' },
          body: JSON.stringify({
            model_events: [
              { event_id: id, model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], project: 'dropped-on-v1' },
            ],
            is_single_session: true,
          }),
        })
        await answer.body?.cancel()
        // A page's batch with session fields is delivered at once, waitUntil or not: the page learns its session.
        equal(answer.status, 200, 'the relay’s status')
        await served.settled()
        const [post] = await up.postsWith(id)
        equal([post?.path, post?.status], ['/v1/events/batch', 200], 'the upstream request')
        equal(
          post.body,
          {
            events: [
              {
                event_id: id,
                event_type: 'model',
                config: { model: 'gpt-4o' },
                inputs: { chat_history: [{ role: 'user', content: 'hi' }] },
              },
            ],
            single_session: true,
          },
          'the v1 body',
        )
      })
    },
  },
]
