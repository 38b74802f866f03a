import { createOpenAI } from '@ai-sdk/openai'
import { generateText, jsonSchema, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai'
import { describe, expect, test } from 'vitest'
import { honeyhiveMiddleware } from '../../src/providers/ai-sdk.js'
import { model, startHarness } from './harness.js'

// The real `ai` 7 and @ai-sdk/openai against the fake provider; the middleware's events checked at the fake HoneyHive.
const { provider, url, hh, one, honeyhive } = await startHarness()
const openai = createOpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${url}/v1` })
const chat = (name: string) => wrapLanguageModel({ model: openai.chat(name), middleware: honeyhiveMiddleware(hh) })
const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
})
const twoCalls = [
  { id: 'call_a', name: 'weather', args: ['{"ci', 'ty":"Pa', 'ris"}'] },
  { id: 'call_b', name: 'weather', args: ['{"city"', ':"Oslo"}'] },
]

describe('honeyhiveMiddleware with generateText', () => {
  test('logs the model call with the AI SDK prompt, settings, usage and the provider finish reason', async () => {
    const name = model()
    provider.script(name, { text: ['Hello there'], usage: { input: 12, output: 3, cached: 4, reasoning: 1 } })
    const result = await generateText({
      model: chat(name),
      system: 'Be brief.',
      prompt: 'Hi',
      temperature: 0.3,
      maxOutputTokens: 40,
      maxRetries: 0,
    })
    expect(result.text).toBe('Hello there')
    const event = await one()
    expect(event).toMatchObject({ model: name, provider: 'openai', event_name: 'ai-sdk.openai' })
    expect(event.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
    ])
    expect(event.hyperparameters).toMatchObject({ temperature: 0.3, maxOutputTokens: 40 })
    expect(event.response).toEqual({ role: 'assistant', content: 'Hello there' })
    expect(event.usage).toEqual({
      prompt_tokens: 12,
      completion_tokens: 3,
      total_tokens: 15,
      cache_read_input_tokens: 4,
      reasoning_tokens: 1,
    })
    expect(event.metadata).toEqual({
      status: 'success',
      stream: false,
      usage_reported: true,
      finish_reason: 'stop',
      response_id: expect.stringMatching(/^chatcmpl-fake/),
      response_model: `${name}-2026-01-01`,
    })
  })

  test('each step of a tool loop is its own event', async () => {
    const name = model()
    provider.script(
      name,
      { toolCalls: [{ id: 'call_1', name: 'weather', args: ['{"city":"Paris"}'] }] },
      { text: ['Sunny in Paris'] },
    )
    const result = await generateText({
      model: chat(name),
      prompt: 'Weather in Paris?',
      tools: { weather: { ...weather, execute: async ({ city }) => `sunny in ${city}` } },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    })
    expect(result.text).toBe('Sunny in Paris')
    await hh.flush()
    await new Promise((resolve) => setTimeout(resolve, 30))
    await hh.flush()
    expect(
      honeyhive.events.map((event) => [
        event.metadata?.finish_reason,
        (event.response as { content: unknown }).content,
      ]),
    ).toEqual([
      ['tool_calls', null],
      ['stop', 'Sunny in Paris'],
    ])
    expect((honeyhive.events[0].response as { tool_calls: unknown }).tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ])
    expect(honeyhive.events[0].tools).toEqual([expect.objectContaining({ type: 'function', name: 'weather' })])
    expect(honeyhive.events[1].messages).toHaveLength(3)
  })

  test('a call stopped with abortSignal before its answer is logged as cancelled, not as an error', async () => {
    const name = model()
    provider.script(name, { text: ['Late'], delayMs: 2_000 })
    const stop = new AbortController()
    setTimeout(() => stop.abort(), 50)
    const error = await generateText({
      model: chat(name),
      prompt: 'Hi',
      abortSignal: stop.signal,
      maxRetries: 0,
    }).catch((error) => error)
    expect(error.name).toBe('AbortError')
    const event = await one()
    expect(event.metadata).toEqual({ status: 'cancelled', stream: false, usage_reported: false })
    expect(event.error).toBeUndefined()
  })

  test('a call that runs out of time (AbortSignal.timeout) is logged as an error, not as cancelled', async () => {
    const name = model()
    provider.script(name, { text: ['Late'], delayMs: 2_000 })
    const error = await generateText({
      model: chat(name),
      prompt: 'Hi',
      abortSignal: AbortSignal.timeout(50),
      maxRetries: 0,
    }).catch((error) => error)
    expect(error.name).toBe('TimeoutError')
    const event = await one()
    expect(event.metadata).toMatchObject({ status: 'error', stream: false })
    expect(event.error).toBe(error.message)
  })

  test('an error answer reaches the caller and is logged as status error', async () => {
    const name = model()
    provider.script(name, { status: 400, errorMessage: 'Invalid schema for function' })
    const error = await generateText({ model: chat(name), prompt: 'Hi', maxRetries: 0 }).catch((error) => error)
    expect(error.message).toContain('Invalid schema for function')
    const event = await one()
    expect(event.error).toContain('Invalid schema for function')
    expect(event.metadata).toEqual({ status: 'error', stream: false, usage_reported: false })
  })
})

describe('honeyhiveMiddleware with streamText', () => {
  test('time to first token skips the empty first text-delta; text, usage and finish reason are logged', async () => {
    const name = model()
    provider.script(name, { text: ['Hel', 'lo'], usage: { input: 7, output: 2 }, delayMs: 40 })
    const result = streamText({ model: chat(name), prompt: 'Hi', maxRetries: 0 })
    let text = ''
    for await (const delta of result.textStream) text += delta
    expect(text).toBe('Hello')
    // @ai-sdk/openai asks for usage itself on every streamed chat call.
    expect(provider.requests.find((request) => request.body.model === name)?.body.stream_options).toEqual({
      include_usage: true,
    })
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'Hello' })
    // @ai-sdk/openai reports the cache and reasoning counts OpenAI leaves out as 0; the middleware logs what the AI SDK reports.
    expect(event.usage).toEqual({
      prompt_tokens: 7,
      completion_tokens: 2,
      total_tokens: 9,
      cache_read_input_tokens: 0,
      reasoning_tokens: 0,
    })
    expect(event.metadata).toMatchObject({
      status: 'success',
      stream: true,
      usage_reported: true,
      finish_reason: 'stop',
      response_model: `${name}-2026-01-01`,
    })
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThanOrEqual(35)
    expect(event.metadata.output_tokens_per_second).toBeGreaterThan(0)
  })

  test('a provider that sends no usage logs no token counts', async () => {
    const name = model()
    provider.script(name, { text: ['Hi'], usage: null })
    const result = streamText({ model: chat(name), prompt: 'Hi', maxRetries: 0 })
    await result.consumeStream()
    const event = await one()
    expect(event.usage).toBeUndefined()
    expect(event.metadata).toMatchObject({ status: 'success', usage_reported: false })
    expect(event.metadata).not.toHaveProperty('output_tokens_per_second')
  })

  test('two parallel tool calls streamed as interleaved fragments are logged as two calls', async () => {
    const name = model()
    provider.script(name, { toolCalls: twoCalls })
    const result = streamText({
      model: chat(name),
      prompt: 'Weather in Paris and Oslo?',
      tools: { weather },
      toolChoice: 'required',
      maxRetries: 0,
    })
    await result.consumeStream()
    expect((await result.toolCalls).map((call) => call.input)).toEqual([{ city: 'Paris' }, { city: 'Oslo' }])
    const event = await one()
    expect(event.response).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
      ],
    })
    expect(event.tool_choice).toBe('{"type":"required"}')
    expect(event.metadata.finish_reason).toBe('tool_calls')
  })

  test('stopped with abortSignal, the event keeps the partial text that onAbort does not report', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], holdAfter: 2 })
    const stop = new AbortController()
    let aborted: { steps: unknown[] } | undefined
    const result = streamText({
      model: chat(name),
      prompt: 'Count',
      abortSignal: stop.signal,
      maxRetries: 0,
      onAbort: (event) => void (aborted = event),
    })
    let text = ''
    for await (const delta of result.textStream) if ((text += delta) === 'One two ') stop.abort()
    expect(aborted?.steps).toEqual([])
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true })
    expect(event.metadata).not.toHaveProperty('finish_reason')
    expect(event.error).toBeUndefined()
    expect(provider.requests.find((request) => request.body.model === name)?.cancelled).toBe(true)
  })

  test('breaking out of textStream does not stop the model call: the AI SDK reads it to the end, and the event says so', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], delayMs: 20 })
    const result = streamText({ model: chat(name), prompt: 'Count', maxRetries: 0 })
    let text = ''
    for await (const delta of result.textStream) if ((text += delta) === 'One two ') break
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two three' })
    expect(event.metadata).toMatchObject({ status: 'success', finish_reason: 'stop' })
    expect(provider.requests.find((request) => request.body.model === name)?.cancelled).toBe(false)
  })

  test('cancel() of the wrapped model stream itself (doStream) logs status cancelled with the partial text', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], holdAfter: 2 })
    const { stream } = await chat(name).doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'Count' }] }],
    })
    const reader = stream.getReader()
    let text = ''
    while (text !== 'One two ') {
      const { value } = await reader.read()
      if (value?.type === 'text-delta') text += value.delta
    }
    await reader.cancel()
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true })
    expect(event.metadata).not.toHaveProperty('finish_reason')
    expect(provider.requests.find((request) => request.body.model === name)?.cancelled).toBe(true)
  })

  test('an error mid-stream is logged as status error with the partial text', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], failAfter: 2, errorMessage: 'The model crashed' })
    const errors: unknown[] = []
    const result = streamText({
      model: chat(name),
      prompt: 'Count',
      maxRetries: 0,
      onError: ({ error }) => void errors.push(error),
    })
    await result.consumeStream()
    expect(errors).toHaveLength(1)
    const event = await one()
    expect(event.error).toContain('The model crashed')
    expect(event.response.content).toBe('One two ')
    expect(event.metadata).toMatchObject({ status: 'error', stream: true })
  })

  test('a cut connection is logged as status error with the partial text', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], cutAfter: 1 })
    const result = streamText({ model: chat(name), prompt: 'Count', maxRetries: 0, onError: () => {} })
    await result.consumeStream()
    const event = await one()
    expect(event.metadata.status).toBe('error')
    expect(event.error).toBeTruthy()
    expect(event.response.content).toBe('One ')
  })

  test('a Responses API model streams through the same middleware', async () => {
    const name = model()
    provider.script(name, { text: ['Bon', 'jour'], usage: { input: 5, output: 2 } })
    const result = streamText({
      model: wrapLanguageModel({
        model: openai(name),
        middleware: honeyhiveMiddleware(hh, { metadata: { route: 'chat' } }),
      }),
      prompt: 'Hi',
      maxRetries: 0,
    })
    expect(await result.text).toBe('Bonjour')
    const event = await one()
    expect(event).toMatchObject({ provider: 'openai', event_name: 'ai-sdk.openai', model: name })
    expect(event.response).toEqual({ role: 'assistant', content: 'Bonjour' })
    expect(event.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 })
    // The AI SDK gives no raw finish reason for a completed response: its unified one is logged.
    expect(event.metadata).toMatchObject({ status: 'success', stream: true, route: 'chat', finish_reason: 'stop' })
  })
})
