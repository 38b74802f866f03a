import { createOpenAI } from '@ai-sdk/openai'
import { jsonSchema, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai'
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import OpenAI from 'openai'
import { describe, expect, inject, test } from 'vitest'
import { honeyhiveMiddleware, honeyhiveTelemetry } from '../../dist/ai-sdk.js'
import { createClient } from '../../dist/index.js'
import { trackOpenAI } from '../../dist/openai.js'
import exampleWorker, { type Env } from '../../examples/worker/worker.js'
import { workersKey } from './upstream.js'

// Runs inside workerd against the built entries. The fake provider and the fake HoneyHive run in Node on
// loopback (providers-setup.ts, global-setup.ts); each test scripts its own model and finds its own session.
const upstream = inject('upstreamUrl')
const providerUrl = inject('providerUrl')

type Event = Record<string, any>
const eventsOf = async (session: string): Promise<Event[]> =>
  ((await (await fetch(`${upstream}/__received`)).json()) as { events: Event[] }).events.filter(
    (event) => event.session_id === session,
  )
const script = async (model: string, ...replies: object[]) =>
  void (
    await fetch(`${providerUrl}/__script`, { method: 'POST', body: JSON.stringify({ model, replies }) })
  ).body?.cancel()
const unique = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`
const chat = (body: object) => new Request('https://chat.example.com/', { method: 'POST', body: JSON.stringify(body) })

describe('examples/worker: an edge chat endpoint through the AI SDK, each turn a tree', () => {
  const tree = (events: Event[]) => {
    const chain = events.find((event) => event.event_type === 'chain')!
    const of = (type: string) => events.filter((event) => event.event_type === type)
    return { chain, models: of('model'), tools: of('tool') }
  }

  test('streams the reply of a turn that uses the tool; the turn arrives in waitUntil as 1 chain, 2 model and 1 tool event', async () => {
    const model = unique('gpt-edge')
    const sessionId = crypto.randomUUID()
    await script(
      model,
      { toolCalls: [{ id: 'call_1', name: 'weather', args: ['{"city":"Paris"}'] }] },
      { text: ['Sunny ', 'in ', 'Paris'], usage: { input: 12, output: 3 }, delayMs: 20 },
    )
    const env: Env = {
      HH_API_KEY: workersKey,
      HH_BASE_URL: upstream,
      OPENAI_API_KEY: 'sk-test-not-a-key',
      OPENAI_BASE_URL: `${providerUrl}/v1`,
      MODEL: model,
    }
    const ctx = createExecutionContext()
    const response = await exampleWorker.fetch(
      chat({ messages: [{ role: 'user', content: 'Weather in Paris?' }], sessionId }),
      env,
      ctx,
    )
    expect(response.headers.get('content-type')).toContain('text/plain')
    expect(await response.text()).toBe('Sunny in Paris')
    await waitOnExecutionContext(ctx)
    const events = await eventsOf(sessionId)
    expect(events).toHaveLength(4)
    const { chain, models, tools } = tree(events)
    expect(chain).toMatchObject({
      event_name: 'edge-chat',
      source: 'production',
      inputs: {
        chat_history: [
          { role: 'system', content: 'You are a helpful assistant. Be brief.' },
          { role: 'user', content: 'Weather in Paris?' },
        ],
      },
      outputs: { role: 'assistant', content: 'Sunny in Paris' },
      metadata: { status: 'success', steps: 2 },
    })
    expect(tools).toEqual([
      expect.objectContaining({
        event_name: 'weather',
        inputs: { city: 'Paris' },
        outputs: { result: 'sunny and 21 °C in Paris' },
      }),
    ])
    expect(models).toHaveLength(2)
    for (const event of [...models, ...tools]) expect(event.parent_id).toBe(chain.event_id)
    expect(models[1]).toMatchObject({
      config: { model, provider: 'openai' },
      outputs: { content: 'Sunny in Paris' },
      metadata: { prompt_tokens: 12, completion_tokens: 3, status: 'success' },
    })
    expect(models[1].metadata.time_to_first_token_ms).toBeGreaterThanOrEqual(15)
  })

  test('answers from the offline model when no OpenAI key is set, the tool included, and logs the turn too', async () => {
    const sessionId = crypto.randomUUID()
    const offline: Env = { HH_API_KEY: workersKey, HH_BASE_URL: upstream }
    let ctx = createExecutionContext()
    const reply = await (
      await exampleWorker.fetch(chat({ messages: [{ role: 'user', content: 'hi' }], sessionId }), offline, ctx)
    ).text()
    expect(reply).toMatch(/^You said: hi\. /)
    await waitOnExecutionContext(ctx)
    ctx = createExecutionContext()
    const weather = await (
      await exampleWorker.fetch(
        chat({ messages: [{ role: 'user', content: 'What is the weather in Oslo?' }], sessionId }),
        offline,
        ctx,
      )
    ).text()
    expect(weather).toBe('From the weather tool: sunny and 21 °C in Oslo.')
    await waitOnExecutionContext(ctx)
    const events = await eventsOf(sessionId)
    const chains = events.filter((event) => event.event_type === 'chain')
    expect(chains.map((event) => event.outputs.content)).toEqual([reply, weather])
    expect(chains.map((event) => events.filter((child) => child.parent_id === event.event_id).length)).toEqual([1, 3])
  })

  test('a client that disconnects mid-stream stops the model call; the turn is logged cancelled with the partial reply', async () => {
    const model = unique('gpt-gone')
    const sessionId = crypto.randomUUID()
    await script(model, { text: ['One ', 'two ', 'three'], holdAfter: 2 })
    const env: Env = {
      HH_API_KEY: workersKey,
      HH_BASE_URL: upstream,
      OPENAI_API_KEY: 'sk-test-not-a-key',
      OPENAI_BASE_URL: `${providerUrl}/v1`,
      MODEL: model,
    }
    // What request.signal does under `enable_request_signal` when the client goes away.
    const disconnect = new AbortController()
    const request = new Request('https://chat.example.com/', {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Count' }], sessionId }),
      signal: disconnect.signal,
    })
    const ctx = createExecutionContext()
    const reader = (await exampleWorker.fetch(request, env, ctx)).body!.getReader()
    let text = ''
    while (text !== 'One two ') {
      const { done, value } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    expect(text).toBe('One two ')
    disconnect.abort()
    await waitOnExecutionContext(ctx)
    const { chain, models } = tree(await eventsOf(sessionId))
    expect(chain.metadata).toMatchObject({ status: 'cancelled', steps: 0 })
    expect(models).toEqual([
      expect.objectContaining({ parent_id: chain.event_id, outputs: { role: 'assistant', content: 'One two ' } }),
    ])
    expect(models[0].metadata.status).toBe('cancelled')
    const requests = (await (await fetch(`${providerUrl}/__requests`)).json()) as Array<{
      body: { model: string }
      cancelled: boolean
    }>
    expect(requests.find((entry) => entry.body.model === model)?.cancelled).toBe(true)
  })
})

describe('provider integrations inside workerd, delivered with waitUntil', () => {
  test('the AI SDK middleware logs a stream stopped with abortSignal as cancelled, with its partial text', async () => {
    const model = unique('gpt-stop')
    const sessionId = crypto.randomUUID()
    await script(model, { text: ['One ', 'two ', 'three'], holdAfter: 2 })
    const ctx = createExecutionContext()
    const hh = createClient({ apiKey: workersKey, baseUrl: upstream, sessionId })
    const openai = createOpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${providerUrl}/v1` })
    const stop = new AbortController()
    const result = streamText({
      model: wrapLanguageModel({ model: openai.chat(model), middleware: honeyhiveMiddleware(hh) }),
      prompt: 'Count',
      abortSignal: stop.signal,
      maxRetries: 0,
    })
    ctx.waitUntil(
      Promise.resolve(result.text).then(
        () => hh.flush(),
        () => hh.flush(),
      ),
    )
    let text = ''
    for await (const delta of result.textStream) if ((text += delta) === 'One two ') stop.abort()
    await waitOnExecutionContext(ctx)
    const events = await eventsOf(sessionId)
    expect(events).toHaveLength(1)
    expect(events[0].response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(events[0].metadata).toMatchObject({ status: 'cancelled', stream: true })
    expect(events[0].metadata).not.toHaveProperty('finish_reason')
  })

  test('trackOpenAI observes a streamed chat completion in place and the event arrives through waitUntil', async () => {
    const model = unique('gpt-track')
    const sessionId = crypto.randomUUID()
    await script(model, { text: ['Edge ', 'stream'], usage: { input: 6, output: 2 }, delayMs: 20 })
    const ctx = createExecutionContext()
    const hh = createClient({ apiKey: workersKey, baseUrl: upstream, sessionId })
    const openai = new OpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${providerUrl}/v1`, maxRetries: 0 })
    const params = {
      model,
      messages: [{ role: 'user' as const, content: 'Hi' }],
      stream: true as const,
      stream_options: { include_usage: true },
    }
    const call = openai.chat.completions.create(params)
    const stream = await trackOpenAI(hh, params, call)
    expect(stream).toBe(await call)
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    ctx.waitUntil(hh.flush())
    await waitOnExecutionContext(ctx)
    expect(text).toBe('Edge stream')
    const events = await eventsOf(sessionId)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      model,
      provider: 'openai',
      event_name: 'openai.chat',
      response: { role: 'assistant', content: 'Edge stream' },
    })
    expect(events[0].usage).toEqual({ prompt_tokens: 6, completion_tokens: 2, total_tokens: 8 })
    expect(events[0].metadata).toMatchObject({
      status: 'success',
      stream: true,
      usage_reported: true,
      finish_reason: 'stop',
    })
    expect(events[0].metadata.time_to_first_token_ms).toBeGreaterThanOrEqual(15)
  })
})

describe('honeyhiveTelemetry inside workerd: the AI SDK run as a tree, on the v1 route', () => {
  const weather = tool({
    description: 'The weather in a city',
    inputSchema: jsonSchema<{ city: string }>({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    }),
    execute: async ({ city }) => `sunny in ${city}`,
  })
  const run = async (holdAfter?: number) => {
    const model = unique('gpt-tree')
    const sessionId = crypto.randomUUID()
    await script(
      model,
      { toolCalls: [{ id: 'call_1', name: 'weather', args: ['{"city":"Paris"}'] }] },
      { text: ['Sunny ', 'in ', 'Paris'], holdAfter },
    )
    const ctx = createExecutionContext()
    const hh = createClient({ apiKey: workersKey, baseUrl: upstream, sessionId, route: '/v1/events/batch' })
    const openai = createOpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${providerUrl}/v1` })
    const stop = new AbortController()
    // The middleware too: each model call must still be logged once.
    const result = streamText({
      model: wrapLanguageModel({ model: openai.chat(model), middleware: honeyhiveMiddleware(hh) }),
      prompt: 'Weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      abortSignal: stop.signal,
      maxRetries: 0,
      telemetry: { functionId: 'edge-turn', integrations: [honeyhiveTelemetry(hh)] },
    })
    const flush = () => hh.flush({ timeoutMs: 10_000 })
    ctx.waitUntil(Promise.resolve(result.text).then(flush, flush))
    let text = ''
    for await (const delta of result.textStream) if ((text += delta) === 'Sunny in ' && holdAfter) stop.abort()
    await waitOnExecutionContext(ctx)
    const events = await eventsOf(sessionId)
    const chain = events.find((event) => event.event_type === 'chain')!
    return { events, chain, of: (type: string) => events.filter((event) => event.event_type === type) }
  }

  test('a two-step streamText with a tool gives 1 chain, 2 model and 1 tool event, all under the chain', async () => {
    const { events, chain, of } = await run()
    expect(events).toHaveLength(4)
    expect([of('chain').length, of('model').length, of('tool').length]).toEqual([1, 2, 1])
    expect(chain).toMatchObject({
      event_name: 'edge-turn',
      outputs: { content: 'Sunny in Paris' },
      metadata: { status: 'success', steps: 2 },
    })
    for (const event of [...of('model'), ...of('tool')]) expect(event.parent_id).toBe(chain.event_id)
    expect(of('tool')[0]).toMatchObject({
      event_name: 'weather',
      inputs: { city: 'Paris' },
      outputs: { result: 'sunny in Paris' },
    })
    expect(of('model')[1].metadata.time_to_first_token_ms).toBeGreaterThan(0)
  })

  test('stopped in step 2: one cancelled chain, the stopped call cancelled with its partial text, no duplicate', async () => {
    const { events, chain, of } = await run(2)
    expect(events).toHaveLength(4)
    expect(chain.metadata).toMatchObject({ status: 'cancelled', steps: 1 })
    expect(of('model').map((event) => event.metadata.status)).toEqual(['success', 'cancelled'])
    expect(of('model')[1].outputs).toEqual({ role: 'assistant', content: 'Sunny in ' })
  })
})
