import Anthropic from '@anthropic-ai/sdk'
import { describe, expect, test } from 'vitest'
import { trackAnthropic } from '../../src/providers/anthropic.js'
import { model, startHarness } from './harness.js'

// The real @anthropic-ai/sdk against the fake provider's Messages API; each event checked at the fake HoneyHive.
const { provider, url, hh, one } = await startHarness()
const anthropic = new Anthropic({ apiKey: 'sk-ant-test-not-a-key', baseURL: url, maxRetries: 0 })
const tools = [{ name: 'weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }]
const twoCalls = [
  { id: 'toolu_a', name: 'weather', args: ['{"ci', 'ty":"Paris"}'] },
  { id: 'toolu_b', name: 'weather', args: ['{"city"', ':"Oslo"}'] },
]
const calls = [
  { id: 'toolu_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
  { id: 'toolu_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
]
const ask = <E extends object = {}>(name: string, extra?: E) => ({
  model: name,
  max_tokens: 256,
  system: 'Be brief.',
  messages: [{ role: 'user' as const, content: 'Hi' }],
  ...(extra as E),
})

describe('trackAnthropic, not streamed', () => {
  test('resolves the very Message the SDK resolves; system, tool use and cache counts are mapped', async () => {
    const name = model('claude-test')
    provider.script(name, {
      text: ['Checking.'],
      toolCalls: twoCalls,
      usage: { input: 100, output: 12, cached: 60, cacheWrite: 30 },
    })
    const params = ask(name, {
      tools,
      tool_choice: { type: 'any' as const },
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
    })
    const call = anthropic.messages.create(params)
    const [tracked, direct] = await Promise.all([trackAnthropic(hh, params, call), call])
    expect(tracked).toBe(direct)
    expect(tracked.usage.input_tokens).toBe(10)
    const event = await one()
    expect(event).toMatchObject({
      model: name,
      provider: 'anthropic',
      event_name: 'anthropic.messages',
      tools,
      tool_choice: '{"type":"any"}',
    })
    expect(event.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ])
    expect(event.hyperparameters).toEqual({ max_tokens: 256, stop_sequences: ['END'] })
    expect(event.response).toEqual({ role: 'assistant', content: 'Checking.', tool_calls: calls })
    // input_tokens (10) exclude the cache reads (60) and writes (30); prompt_tokens include them.
    expect(event.usage).toEqual({
      prompt_tokens: 100,
      completion_tokens: 12,
      total_tokens: 112,
      cache_read_input_tokens: 60,
      cache_write_input_tokens: 30,
    })
    expect(event.metadata).toEqual({
      status: 'success',
      stream: false,
      usage_reported: true,
      finish_reason: 'tool_use',
      response_id: expect.stringMatching(/^msg_fake/),
      response_model: `${name}-2026-01-01`,
    })
  })

  test('a Message without usage logs no token counts', async () => {
    const name = model('claude-test')
    provider.script(name, { text: ['Hi'], usage: null })
    const params = ask(name)
    await trackAnthropic(hh, params, anthropic.messages.create(params))
    const event = await one()
    expect(event.usage).toBeUndefined()
    expect(event.metadata).toMatchObject({ usage_reported: false, finish_reason: 'end_turn' })
  })

  test('an error answer reaches the caller unchanged and is logged as status error', async () => {
    const name = model('claude-test')
    provider.script(name, { status: 400, errorMessage: 'max_tokens: field required' })
    const params = ask(name, { stream: true })
    const error = await trackAnthropic(hh, params, anthropic.messages.create(params)).catch((error) => error)
    expect(error).toBeInstanceOf(Anthropic.BadRequestError)
    const event = await one()
    expect(event.error).toBe(error.message)
    expect(event.error).toContain('max_tokens: field required')
    expect(event.metadata).toEqual({ status: 'error', stream: true, usage_reported: false })
  })
})

describe('trackAnthropic, streamed', () => {
  test('message_delta usage is cumulative: the last count replaces the earlier ones, never adds to them', async () => {
    const name = model('claude-test')
    provider.script(name, {
      text: ['Hel', 'lo'],
      usage: { input: 20, output: 9, cached: 5 },
      deltaUsage: [4, 9],
      delayMs: 30,
    })
    const params = ask(name, { stream: true as const })
    const call = anthropic.messages.create(params)
    const stream = await trackAnthropic(hh, params, call)
    expect(stream).toBe(await call)
    let text = ''
    for await (const event of stream)
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text
    expect(text).toBe('Hello')
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'Hello' })
    expect(event.usage).toEqual({
      prompt_tokens: 20,
      completion_tokens: 9,
      total_tokens: 29,
      cache_read_input_tokens: 5,
    })
    expect(event.metadata).toMatchObject({
      status: 'success',
      stream: true,
      finish_reason: 'end_turn',
      response_model: `${name}-2026-01-01`,
    })
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThanOrEqual(25)
  })

  test('tool_use blocks stream as partial JSON and are logged as complete tool calls', async () => {
    const name = model('claude-test')
    provider.script(name, { toolCalls: twoCalls })
    const params = ask(name, { stream: true as const, tools })
    for await (const _ of await trackAnthropic(hh, params, anthropic.messages.create(params)));
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: null, tool_calls: calls })
    expect(event.metadata.finish_reason).toBe('tool_use')
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThan(0)
  })

  test('stopped before message_delta, the placeholder output count of message_start is not logged', async () => {
    const name = model('claude-test')
    provider.script(name, { text: ['One ', 'two ', 'three'], usage: { input: 20, output: 3 }, holdAfter: 2 })
    const params = ask(name, { stream: true as const })
    const stream = await trackAnthropic(hh, params, anthropic.messages.create(params))
    let text = ''
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text
      if (text === 'One two ') stream.controller.abort()
    }
    const event = await one()
    expect(event.usage).toEqual({ prompt_tokens: 20 })
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true, usage_reported: true })
    expect(event.metadata).not.toHaveProperty('finish_reason')
    expect(event.metadata).not.toHaveProperty('output_tokens_per_second')
    expect(event.error).toBeUndefined()
    expect(provider.requests.find((request) => request.body.model === name)?.cancelled).toBe(true)
  })

  test('an error event mid-stream reaches the loop and is logged as status error with the partial text', async () => {
    const name = model('claude-test')
    provider.script(name, { text: ['One ', 'two ', 'three'], failAfter: 2, errorMessage: 'Overloaded' })
    const params = ask(name, { stream: true as const })
    const stream = await trackAnthropic(hh, params, anthropic.messages.create(params))
    const error = await (async () => {
      for await (const _ of stream);
    })().catch((error) => error)
    expect(error).toBeInstanceOf(Anthropic.APIError)
    const event = await one()
    expect(event.error).toBe(error.message)
    expect(event.error).toContain('Overloaded')
    expect(event.response.content).toBe('One two ')
    expect(event.metadata).toMatchObject({ status: 'error', stream: true })
  })

  test('a cut connection is logged as status error with the partial text', async () => {
    const name = model('claude-test')
    provider.script(name, { text: ['One ', 'two ', 'three'], cutAfter: 1 })
    const params = ask(name, { stream: true as const })
    const stream = await trackAnthropic(hh, params, anthropic.messages.create(params))
    const error = await (async () => {
      for await (const _ of stream);
    })().catch((error) => error)
    expect(error).toBeInstanceOf(Error)
    const event = await one()
    expect(event.error).toBe(error.message)
    expect(event.response.content).toBe('One ')
    expect(event.metadata.status).toBe('error')
  })

  test('a stream without usage logs no token counts', async () => {
    const name = model('claude-test')
    provider.script(name, { text: ['Hi'], usage: null })
    const params = ask(name, { stream: true as const })
    for await (const _ of await trackAnthropic(hh, params, anthropic.messages.create(params)));
    const event = await one()
    expect(event.usage).toBeUndefined()
    expect(event.metadata).toMatchObject({ status: 'success', usage_reported: false })
  })
})
