import OpenAI from 'openai'
import { describe, expect, test } from 'vitest'
import { trackOpenAI } from '../../src/providers/openai.js'
import { model, startHarness } from './harness.js'

// The real openai SDK against the fake provider's chat completions; each event checked at the fake HoneyHive.
const { provider, url, hh, one } = await startHarness()
const openai = new OpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${url}/v1`, maxRetries: 0 })
const tools = [
  {
    type: 'function' as const,
    function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  },
]
const twoCalls = [
  { id: 'call_a', name: 'weather', args: ['{"ci', 'ty":"Pa', 'ris"}'] },
  { id: 'call_b', name: 'weather', args: ['{"city"', ':"Oslo"}'] },
]
const ask = <E extends object = {}>(name: string, extra?: E) => ({
  model: name,
  messages: [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: 'Hi' },
  ],
  ...(extra as E),
})

describe('trackOpenAI with chat completions, not streamed', () => {
  test('resolves the very result the SDK resolves and logs it mapped field by field', async () => {
    const name = model()
    provider.script(name, { toolCalls: twoCalls, usage: { input: 20, output: 7, cached: 8, reasoning: 2 } })
    const params = {
      ...ask(name),
      temperature: 0.2,
      max_completion_tokens: 50,
      seed: 7,
      tools,
      tool_choice: { type: 'function' as const, function: { name: 'weather' } },
      user: 'u-1',
    }
    const call = openai.chat.completions.create(params)
    const [tracked, direct] = await Promise.all([trackOpenAI(hh, params, call), call])
    expect(tracked).toBe(direct)
    const event = await one()
    expect(event).toMatchObject({
      model: name,
      provider: 'openai',
      event_name: 'openai.chat',
      event_type: 'model',
      messages: params.messages,
      tools,
    })
    expect(event.hyperparameters).toEqual({ temperature: 0.2, max_completion_tokens: 50, seed: 7 })
    expect(event.tool_choice).toBe('{"type":"function","function":{"name":"weather"}}')
    expect(event.response).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
      ],
    })
    expect(event.usage).toEqual({
      prompt_tokens: 20,
      completion_tokens: 7,
      total_tokens: 27,
      cache_read_input_tokens: 8,
      reasoning_tokens: 2,
    })
    expect(event.metadata).toEqual({
      status: 'success',
      stream: false,
      usage_reported: true,
      finish_reason: 'tool_calls',
      response_id: expect.stringMatching(/^chatcmpl-fake\d+$/),
      response_model: `${name}-2026-01-01`,
    })
    expect(event.duration).toBeGreaterThan(0)
    expect(event.error).toBeUndefined()
  })

  test('an answer without usage logs no token counts, never zeros', async () => {
    const name = model()
    provider.script(name, { text: ['Hello'], usage: null })
    const params = ask(name)
    const reply = await trackOpenAI(hh, params, openai.chat.completions.create(params))
    expect(reply.choices[0].message.content).toBe('Hello')
    const event = await one()
    expect(event.usage).toBeUndefined()
    expect(event.response).toEqual({ role: 'assistant', content: 'Hello' })
    expect(event.metadata).toMatchObject({ usage_reported: false, finish_reason: 'stop' })
    expect(event.metadata).not.toHaveProperty('output_tokens_per_second')
  })

  test('an error answer reaches the caller unchanged and is logged once as status error, without a response', async () => {
    const name = model()
    provider.script(name, { status: 429, errorMessage: 'Rate limit reached for requests' })
    const params = ask(name, { stream: true })
    const error = await trackOpenAI(hh, params, openai.chat.completions.create(params)).catch((error) => error)
    expect(error).toBeInstanceOf(OpenAI.RateLimitError)
    const event = await one()
    expect(event.error).toBe(error.message)
    expect(event.error).toContain('Rate limit reached')
    expect(event.response).toBeUndefined()
    expect(event.metadata).toEqual({ status: 'error', stream: true, usage_reported: false })
  })

  test('init is merged into the event and wins over the mapped fields; metadata keys are merged', async () => {
    const name = model()
    const session = crypto.randomUUID()
    const params = ask(name)
    await trackOpenAI(hh, params, openai.chat.completions.create(params), {
      session_id: session,
      parent_id: session,
      event_name: 'support-reply',
      user_properties: { plan: 'pro' },
      metadata: { turn: 3 },
    })
    const event = await one()
    expect(event).toMatchObject({
      session_id: session,
      parent_id: session,
      event_name: 'support-reply',
      user_properties: { plan: 'pro' },
    })
    expect(event.metadata).toMatchObject({ turn: 3, status: 'success', stream: false })
  })
})

describe('trackOpenAI with chat completions, streamed', () => {
  test('the same stream object comes back; time to first token waits past the empty role chunk; usage with include_usage', async () => {
    const name = model()
    provider.script(name, { text: ['Hel', 'lo', ' there'], usage: { input: 9, output: 3 }, delayMs: 40 })
    const params = ask(name, { stream: true as const, stream_options: { include_usage: true } })
    const call = openai.chat.completions.create(params)
    const stream = await trackOpenAI(hh, params, call)
    expect(stream).toBe(await call)
    expect(stream.controller).toBeInstanceOf(AbortController)
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    expect(text).toBe('Hello there')
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'Hello there' })
    expect(event.usage).toEqual({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 })
    expect(event.metadata).toMatchObject({
      status: 'success',
      stream: true,
      usage_reported: true,
      finish_reason: 'stop',
      response_id: expect.stringMatching(/^chatcmpl-fake\d+$/),
      response_model: `${name}-2026-01-01`,
    })
    // The role chunk arrives at once; the first text 40 ms later.
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThanOrEqual(35)
    expect(event.metadata.time_to_first_token_ms).toBeLessThan(event.duration!)
    expect(event.metadata.output_tokens_per_second).toBeGreaterThan(0)
    expect(event.metadata.output_tokens_per_second).toBeLessThan(3 / 0.07)
  })

  test('without include_usage the request is sent as given and no token counts are logged', async () => {
    const name = model()
    const params = ask(name, { stream: true as const })
    const stream = await trackOpenAI(hh, params, openai.chat.completions.create(params))
    for await (const _ of stream);
    const [sent] = provider.requests.filter((request) => request.body.model === name)
    expect(sent.body).toEqual(params)
    const event = await one()
    expect(event.response.content).toBe('echo: Hi')
    expect(event.usage).toBeUndefined()
    expect(event.metadata).toMatchObject({ status: 'success', usage_reported: false, finish_reason: 'stop' })
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThan(0)
    expect(event.metadata).not.toHaveProperty('output_tokens_per_second')
  })

  test('two parallel tool calls streamed as interleaved fragments are logged as two complete calls', async () => {
    const name = model()
    provider.script(name, { toolCalls: twoCalls })
    const params = ask(name, { stream: true as const, tools, parallel_tool_calls: true })
    const stream = await trackOpenAI(hh, params, openai.chat.completions.create(params))
    for await (const _ of stream);
    const event = await one()
    expect(event.response.tool_calls).toEqual([
      { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
    ])
    expect(event.response.content).toBeNull()
    expect(event.hyperparameters).toEqual({ parallel_tool_calls: true })
    expect(event.metadata.finish_reason).toBe('tool_calls')
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThan(0)
  })

  test("tool calls streamed without index (Gemini's OpenAI-compatible shape) stay separate calls, grouped by id", async () => {
    const name = model()
    provider.script(name, {
      noIndex: true,
      toolCalls: [
        { id: 'call_w', name: 'weather', args: ['{"city":', '"Paris"}'] },
        { id: 'call_t', name: 'time', args: ['{"zone":"CET"}'] },
      ],
    })
    const params = ask(name, { stream: true as const, tools })
    const stream = await trackOpenAI(hh, params, openai.chat.completions.create(params))
    for await (const _ of stream);
    const event = await one()
    expect(event.response.tool_calls).toEqual([
      { id: 'call_w', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_t', type: 'function', function: { name: 'time', arguments: '{"zone":"CET"}' } },
    ])
  })

  test('a refusal counts as the first token and is logged', async () => {
    const name = model()
    provider.script(name, { refusal: ['I cannot ', 'help with that.'] })
    const params = ask(name, { stream: true as const })
    for await (const _ of await trackOpenAI(hh, params, openai.chat.completions.create(params)));
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: null, refusal: 'I cannot help with that.' })
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThan(0)
  })

  test('an error mid-stream reaches the loop and is logged as status error with the partial output', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], failAfter: 2, errorMessage: 'The model crashed' })
    const params = ask(name, { stream: true as const })
    const stream = await trackOpenAI(hh, params, openai.chat.completions.create(params))
    let text = ''
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    })().catch((error) => error)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect(text).toBe('One two ')
    const event = await one()
    expect(event.error).toBe(error.message)
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'error', stream: true })
    expect(event.metadata).not.toHaveProperty('finish_reason')
  })

  test('a cut connection mid-stream is logged as status error with the partial output', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], cutAfter: 1 })
    const params = ask(name, { stream: true as const })
    const stream = await trackOpenAI(hh, params, openai.chat.completions.create(params))
    const error = await (async () => {
      for await (const _ of stream);
    })().catch((error) => error)
    expect(error).toBeInstanceOf(Error)
    const event = await one()
    expect(event.metadata.status).toBe('error')
    expect(event.error).toBe(error.message)
    expect(event.response.content).toBe('One ')
  })
})

describe('trackOpenAI never gets in the way', () => {
  test('a client whose startModelEvent throws still gets the stream, which works', async () => {
    const name = model()
    const params = ask(name, { stream: true as const })
    const broken = {
      startModelEvent: () => {
        throw new Error('broken client')
      },
    }
    const stream = await trackOpenAI(broken as never, params, openai.chat.completions.create(params))
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    expect(text).toBe('echo: Hi')
  })

  test('unreadable params are not thrown into the caller, and the call still resolves', async () => {
    const name = model()
    const params = ask(name)
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    const reply = await trackOpenAI(hh, proxy as never, openai.chat.completions.create(params))
    expect(reply.choices[0].message.content).toBe('echo: Hi')
  })
})
