import type { HoneyHiveError, HttpError } from '../../src/index.js'
import { equal, lacks, ok } from './assert.js'
import { quirks } from './runtimes.js'
import type { Runtime, Scenario } from './runtime.js'
import { upstreamOf } from './upstream.js'

// The client on the built entry, as a user of each runtime calls it, against the loopback fake HoneyHive.

/** The counts of a flush result or of stats(), without fields added later. */
const counts = (result: object, keys = ['sent', 'failed', 'dropped', 'queued']) =>
  Object.fromEntries(keys.map((key) => [key, (result as Record<string, unknown>)[key]]))

const clientFor = ({ client, upstream }: Runtime, options: Parameters<Runtime['client']['createClient']>[0] = {}) =>
  client.createClient({ apiKey: upstream.key, dangerouslyAllowBrowser: true, baseUrl: upstream.url, ...options })

export const clientScenarios: Scenario[] = [
  {
    name: 'log and flush deliver a batch with the key, event ids, project, source and session',
    needs: [],
    async run(runtime) {
      const sessionId = crypto.randomUUID()
      const hh = clientFor(runtime, { project: 'scenarios', source: 'test', sessionId })
      try {
        const ids = [hh.log({ model: 'gpt-4o' }), hh.log({ model: 'gpt-4o-mini' }), hh.log({ model: 'o3' })]
        equal(counts(await hh.flush()), { sent: 3, failed: 0, dropped: 0, queued: 0 }, 'flush()')
        const up = upstreamOf(runtime.upstream.url)
        const stored = await up.eventsWith(ids)
        equal(
          stored.map((e) => [e.event_id, e.model, e.project, e.source, e.session_id]),
          [
            [ids[0], 'gpt-4o', 'scenarios', 'test', sessionId],
            [ids[1], 'gpt-4o-mini', 'scenarios', 'test', sessionId],
            [ids[2], 'o3', 'scenarios', 'test', sessionId],
          ],
          'stored events',
        )
        const posts = await up.postsWith(ids[0])
        equal(posts.length, 1, 'requests for one flush of three events')
        ok(
          posts[0].headers.authorization === `Bearer ${runtime.upstream.key}`,
          'the batch carries the key as a Bearer token',
        )
        equal(
          counts(hh.stats(), ['queued', 'sent', 'failed', 'dropped', 'retried']),
          { queued: 0, sent: 3, failed: 0, dropped: 0, retried: 0 },
          'stats()',
        )
      } finally {
        await hh.shutdown()
      }
    },
  },
  {
    name: 'a 503 and then a 429 with Retry-After are retried with the same event id, which is stored once',
    needs: [],
    async run(runtime) {
      const up = upstreamOf(runtime.upstream.url)
      await up.script({ status: 503 }, { status: 429, retryAfter: 1 })
      const hh = clientFor(runtime)
      try {
        const id = hh.log({ model: 'gpt-4o', provider: 'openai' })
        const started = Date.now()
        equal(counts(await hh.flush()), { sent: 1, failed: 0, dropped: 0, queued: 0 }, 'flush()')
        const waited = Date.now() - started
        ok(waited >= 900, 'the flush waited for Retry-After: 1', `it took ${waited} ms`)
        equal(
          (await up.postsWith(id)).map((request) => request.status),
          [503, 429, 200],
          'answers to the attempts',
        )
        equal(hh.stats().retried, 2, 'stats().retried')
        equal((await up.eventsWith([id])).length, 1, 'copies stored')
      } finally {
        await hh.shutdown()
      }
    },
  },
  {
    name: 'a refused batch reaches onError as an HttpError with its ids, an invalid event as a ValidationError, and later events still go out',
    needs: [],
    async run(runtime) {
      const { client } = runtime
      const up = upstreamOf(runtime.upstream.url)
      await up.script({ status: 400, body: { message: 'scripted refusal' } })
      const errors: HoneyHiveError[] = []
      const hh = clientFor(runtime, { onError: (error) => errors.push(error) })
      try {
        hh.log({ model: 'gpt-4o', start_time: '2024-01-01' as unknown as number })
        const refused = hh.log({ model: 'gpt-4o' })
        equal(counts(await hh.flush()), { sent: 0, failed: 1, dropped: 0, queued: 0 }, 'flush() of the refused batch')
        const later = hh.log({ model: 'o3' })
        equal(counts(await hh.flush()), { sent: 1, failed: 0, dropped: 0, queued: 0 }, 'flush() after it')
        equal(
          errors.map((error) => [error.name, client.isHoneyHiveError(error)]),
          [
            ['ValidationError', true],
            ['HttpError', true],
          ],
          'errors reported',
        )
        ok(
          errors[0] instanceof client.ValidationError && errors[1] instanceof client.HttpError,
          'the errors are instances of the exported classes',
        )
        equal(
          [(errors[1] as HttpError).status, errors[1].eventIds],
          [400, [refused]],
          'status and event ids of the HttpError',
        )
        equal(
          (await up.eventsWith([refused, later])).map((event) => event.event_id),
          [later],
          'stored events',
        )
        for (const error of errors) lacks(`${error.message} ${JSON.stringify(error)}`, runtime.upstream.key, 'an error')
      } finally {
        await hh.shutdown()
      }
    },
  },
  {
    // From Workers (field notes §3): ky's `credentials` is not implemented there, and unread bodies hold
    // connections. keepalive is for pages only (quirks.keepaliveBatches).
    name: 'requests carry no credentials and keepalive only in a page, and every response body is read, the failed one too',
    needs: [],
    async run(runtime) {
      await upstreamOf(runtime.upstream.url).script({ status: 500 })
      const calls: Array<{ request: Request; init?: RequestInit; response: Response }> = []
      const hh = clientFor(runtime, {
        fetch: async (input, init) => {
          const request = new Request(input, init)
          const response = await fetch(request)
          calls.push({ request, init, response })
          return response
        },
      })
      try {
        hh.log({ model: 'gpt-4o' })
        equal(counts(await hh.flush()), { sent: 1, failed: 0, dropped: 0, queued: 0 }, 'flush()')
        equal(
          calls.map((call) => call.response.status),
          [500, 200],
          'answers',
        )
        const keepalive = quirks.keepaliveBatches.includes(runtime.name)
        for (const { request, init, response } of calls) {
          equal(Boolean(request.keepalive || init?.keepalive), keepalive, 'keepalive')
          equal(init?.credentials, undefined, 'credentials option')
          ok(response.bodyUsed, `the body of the ${response.status} answer was read`)
        }
      } finally {
        await hh.shutdown()
      }
    },
  },
  {
    name: 'a fetch option that forwards only the Request it gets, as a Workers service binding does, delivers with the key and body',
    needs: [],
    async run(runtime) {
      const seen: string[] = []
      const hh = clientFor(runtime, {
        fetch: (input) => {
          const request = input as Request
          seen.push(`${request.method} ${request.headers.get('authorization') === `Bearer ${runtime.upstream.key}`}`)
          return fetch(request)
        },
      })
      try {
        const id = hh.log({ model: 'gpt-4o' })
        equal(counts(await hh.flush()), { sent: 1, failed: 0, dropped: 0, queued: 0 }, 'flush()')
        equal(seen, ['POST true'], 'requests seen by the fetch option (method, key present)')
        equal((await upstreamOf(runtime.upstream.url).eventsWith([id])).length, 1, 'copies stored')
      } finally {
        await hh.shutdown()
      }
    },
  },
  {
    // Issue 18: a chat turn as HoneyHive's tree, built by hand with spans, in every runtime.
    name: 'on /v1/events/batch, a turn with a failing tool arrives as a tree; on the seed route chains and tools are reported once',
    needs: [],
    async run(runtime) {
      const v1 = clientFor(runtime, { route: '/v1/events/batch' })
      const errors: HoneyHiveError[] = []
      const seed = clientFor(runtime, { onError: (error) => errors.push(error) })
      try {
        const turn = v1.startChain({
          event_name: 'chat turn',
          inputs: { chat_history: [{ role: 'user', content: 'hi' }] },
        })
        const weather = await turn.tool('get_weather', { city: 'Paris' }, async () => ({ celsius: 21 }))
        equal(weather, { celsius: 21 }, 'tool() resolves what run resolves')
        let failed = ''
        await turn
          .tool('get_time', {}, () => Promise.reject(new Error('clock down')))
          .catch((error: Error) => (failed = error.message))
        equal(failed, 'clock down', 'tool() rejects as run rejects')
        const model = turn.startModelEvent({ model: 'gpt-4o', provider: 'openai' })
        model.end({ response: { role: 'assistant', content: 'Sunny' } })
        turn.end({ outputs: { content: 'Sunny' } })
        equal(counts(await v1.flush()), { sent: 4, failed: 0, dropped: 0, queued: 0 }, 'v1 flush()')
        const up = upstreamOf(runtime.upstream.url)
        const stored = await up.eventsWith([turn.event_id, model.event_id])
        equal(
          stored.map((event) => event.event_type),
          ['model', 'chain'],
          'a model under a chain',
        )
        equal(stored[0].parent_id, turn.event_id, 'the model call is the chain’s child')
        equal((stored[1].children_ids as string[]).length, 3, 'the chain lists its three children')
        const tools = (await up.eventsWith(stored[1].children_ids as string[])).filter((e) => e.event_type === 'tool')
        equal(
          tools.map((tool) => [tool.event_name, tool.error ?? null]),
          [
            ['get_weather', null],
            ['get_time', 'clock down'],
          ],
          'tools',
        )

        const seedTurn = seed.startChain({ event_name: 'turn' })
        seedTurn.startModelEvent({ model: 'gpt-4o' }).end()
        seedTurn.end()
        equal(
          counts(await seed.flush()),
          { sent: 1, failed: 0, dropped: 0, queued: 0 },
          'seed flush(): the model event only',
        )
        equal(
          errors.map((error) => (error as { reason?: string }).reason),
          ['route'],
          'one error for the chain',
        )
      } finally {
        await v1.shutdown()
        await seed.shutdown()
      }
    },
  },
  {
    // Issue 19: feedback merged into a queued event, or sent as HoneyHive's event update after delivery.
    name: 'feedback is merged into a queued event, and sent as an event update once the event was delivered',
    needs: [],
    async run(runtime) {
      for (const route of ['/events/model/batch', '/v1/events/batch'] as const) {
        const hh = clientFor(runtime, { route })
        try {
          const queued = hh.log({ model: 'gpt-4o' })
          hh.feedback(queued, { rating: 1 })
          const delivered = hh.log({ model: 'gpt-4o' })
          equal(counts(await hh.flush()), { sent: 2, failed: 0, dropped: 0, queued: 0 }, `${route}: flush()`)
          hh.feedback(delivered, { rating: 0, comment: 'wrong' })
          equal(counts(await hh.flush()), { sent: 1, failed: 0, dropped: 0, queued: 0 }, `${route}: the update`)
          const stored = await upstreamOf(runtime.upstream.url).eventsWith([queued, delivered])
          equal(
            stored.map((event) => event.feedback),
            [{ rating: 1 }, { rating: 0, comment: 'wrong' }],
            `${route}: feedback`,
          )
        } finally {
          await hh.shutdown()
        }
      }
    },
  },
  {
    // HoneyHive's current route (issue 11): the same client, HoneyHive's strict v1 body, fields where its UI renders them.
    name: 'on /v1/events/batch, a conversation of two batches lands in one session, in the v1 shape',
    needs: [],
    async run(runtime) {
      const hh = clientFor(runtime, {
        route: '/v1/events/batch',
        singleSession: true,
        sessionProperties: { session_name: 'scenario chat' },
      })
      try {
        const first = hh.log({
          model: 'gpt-4o',
          provider: 'openai',
          messages: [{ role: 'user', content: 'hi' }],
          response: { role: 'assistant', content: 'hello' },
          usage: { prompt_tokens: 3, completion_tokens: 2 },
        })
        equal(counts(await hh.flush()), { sent: 1, failed: 0, dropped: 0, queued: 0 }, 'first flush()')
        const second = hh.log({ model: 'gpt-4o', provider: 'openai' })
        equal(counts(await hh.flush()), { sent: 1, failed: 0, dropped: 0, queued: 0 }, 'second flush()')
        const up = upstreamOf(runtime.upstream.url)
        const stored = await up.eventsWith([first, second])
        equal(
          stored.map((event) => event.session_id),
          [hh.sessionId, hh.sessionId],
          'both events in the client’s session',
        )
        equal(
          [stored[0].config, stored[0].inputs, stored[0].outputs, stored[0].metadata],
          [
            { model: 'gpt-4o', provider: 'openai' },
            { chat_history: [{ role: 'user', content: 'hi' }] },
            { role: 'assistant', content: 'hello' },
            { prompt_tokens: 3, completion_tokens: 2 },
          ],
          'where the first event’s fields landed',
        )
        const posts = [...(await up.postsWith(first)), ...(await up.postsWith(second))]
        equal(
          posts.map((post) => [post.path, post.status, (post.body as { single_session?: boolean }).single_session]),
          [
            ['/v1/events/batch', 200, true],
            ['/v1/events/batch', 200, undefined],
          ],
          'requests: single_session with the first batch only',
        )
      } finally {
        await hh.shutdown()
      }
    },
  },
  {
    // Issue 12: in every runtime, also in the minified bundle (ky knows our TimeoutError by class name, which
    // terser renames) and in Chromium (whose fetch rejects at once on abort).
    name: 'an attempt that times out is retried with a longer limit: a server slower than timeoutMs stores no copy per attempt',
    needs: [],
    async run(runtime) {
      const up = upstreamOf(runtime.upstream.url)
      await up.script({ status: 200, delayMs: 400 }, { status: 200, delayMs: 400 }, { status: 200, delayMs: 400 })
      const hh = clientFor(runtime, { timeoutMs: 300, maxRetries: 3 })
      try {
        const id = hh.log({ model: 'gpt-4o' })
        equal(counts(await hh.flush()), { sent: 1, failed: 0, dropped: 0, queued: 0 }, 'flush()')
        equal(hh.stats().retried, 1, 'stats().retried: the second attempt had 600 ms')
        await new Promise((resolve) => setTimeout(resolve, 500))
        equal((await up.eventsWith([id])).length, 2, 'copies stored: the one that timed out, the one answered')
        // The limit stays longer: the next event is stored once.
        const next = hh.log({ model: 'gpt-4o' })
        equal(counts(await hh.flush()), { sent: 1, failed: 0, dropped: 0, queued: 0 }, 'second flush()')
        equal((await up.eventsWith([next])).length, 1, 'copies of the next event')
      } finally {
        await hh.shutdown()
      }
    },
  },
]
