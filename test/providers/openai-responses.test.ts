import OpenAI from 'openai'
import { describe, expect, test } from 'vitest'
import { trackOpenAI } from '../../src/providers/openai.js'
import { model, startHarness } from './harness.js'

// The real openai SDK against the fake provider's Responses API; each event checked at the fake HoneyHive.
const { provider, url, hh, one } = await startHarness()
const openai = new OpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${url}/v1`, maxRetries: 0 })
const tools = [
  {
    type: 'function' as const,
    name: 'weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
    strict: false,
  },
]
const twoCalls = [
  { id: 'call_a', name: 'weather', args: ['{"ci', 'ty":"Pa', 'ris"}'] },
  { id: 'call_b', name: 'weather', args: ['{"city"', ':"Oslo"}'] },
]
const format = { type: 'json_schema' as const, name: 'answer', schema: { type: 'object' } }

describe('trackOpenAI with the Responses API, not streamed', () => {
  test('instructions and an input string become a system and a user message; output, usage and status are mapped', async () => {
    const name = model()
    provider.script(name, { text: ['{"ok":true}'], usage: { input: 30, output: 6, cached: 10, reasoning: 4 } })
    const params = {
      model: name,
      instructions: 'Answer in JSON.',
      input: 'Is it fine?',
      text: { format },
      max_output_tokens: 100,
      reasoning: { effort: 'low' as const },
    }
    const call = openai.responses.create(params)
    const [tracked, direct] = await Promise.all([trackOpenAI(hh, params, call), call])
    expect(tracked).toBe(direct)
    expect(tracked.output_text).toBe('{"ok":true}')
    const event = await one()
    expect(event).toMatchObject({
      model: name,
      provider: 'openai',
      event_name: 'openai.responses',
      response_format: format,
    })
    expect(event.messages).toEqual([
      { role: 'system', content: 'Answer in JSON.' },
      { role: 'user', content: 'Is it fine?' },
    ])
    expect(event.hyperparameters).toEqual({ text: { format }, max_output_tokens: 100, reasoning: { effort: 'low' } })
    expect(event.response).toEqual({ role: 'assistant', content: '{"ok":true}' })
    expect(event.usage).toEqual({
      prompt_tokens: 30,
      completion_tokens: 6,
      total_tokens: 36,
      cache_read_input_tokens: 10,
      reasoning_tokens: 4,
    })
    expect(event.metadata).toEqual({
      status: 'success',
      stream: false,
      usage_reported: true,
      finish_reason: 'completed',
      response_id: expect.stringMatching(/^resp_fake/),
      response_model: `${name}-2026-01-01`,
    })
  })

  test('an incomplete answer logs the provider reason as finish_reason', async () => {
    const name = model()
    provider.script(name, { text: ['Cut sh'], finish: 'max_output_tokens' })
    const params = {
      model: name,
      input: [{ role: 'user' as const, content: 'Tell me everything' }],
      max_output_tokens: 2,
    }
    await trackOpenAI(hh, params, openai.responses.create(params))
    const event = await one()
    expect(event.messages).toEqual(params.input)
    expect(event.metadata).toMatchObject({ status: 'success', finish_reason: 'max_output_tokens' })
    expect(event.response.content).toBe('Cut sh')
  })

  test('an error answer reaches the caller unchanged and is logged as status error', async () => {
    const name = model()
    provider.script(name, { status: 400, errorMessage: 'Unknown parameter' })
    const params = { model: name, input: 'Hi' }
    const error = await trackOpenAI(hh, params, openai.responses.create(params)).catch((error) => error)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    const event = await one()
    expect(event.error).toBe(error.message)
    expect(event.metadata).toEqual({ status: 'error', stream: false, usage_reported: false })
  })
})

describe('trackOpenAI with the Responses API, streamed', () => {
  test('the streamed text is rebuilt from the output items (a streamed response carries no output_text)', async () => {
    const name = model()
    provider.script(name, { text: ['Bon', 'jour'], usage: { input: 5, output: 2 }, delayMs: 30 })
    const params = { model: name, input: 'Hello in French', stream: true as const }
    const stream = await trackOpenAI(hh, params, openai.responses.create(params))
    const types: string[] = []
    let completed: { output_text?: string } | undefined
    for await (const event of stream) {
      types.push(event.type)
      if (event.type === 'response.completed') completed = event.response
    }
    expect(types.filter((type) => type === 'response.output_text.delta')).toHaveLength(2)
    expect(completed?.output_text).toBeUndefined()
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'Bonjour' })
    expect(event.usage).toEqual({
      prompt_tokens: 5,
      completion_tokens: 2,
      total_tokens: 7,
      cache_read_input_tokens: 0,
      reasoning_tokens: 0,
    })
    expect(event.metadata).toMatchObject({
      status: 'success',
      stream: true,
      finish_reason: 'completed',
      response_model: `${name}-2026-01-01`,
    })
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThanOrEqual(25)
    expect(event.metadata.output_tokens_per_second).toBeGreaterThan(0)
  })

  test('two parallel function calls streamed as interleaved argument deltas are logged as two calls', async () => {
    const name = model()
    provider.script(name, { toolCalls: twoCalls })
    const params = {
      model: name,
      input: 'Weather in Paris and Oslo?',
      tools,
      tool_choice: 'required' as const,
      stream: true as const,
    }
    for await (const _ of await trackOpenAI(hh, params, openai.responses.create(params)));
    const event = await one()
    expect(event.response).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
      ],
    })
    expect(event).toMatchObject({ tools, tool_choice: 'required' })
  })

  test('without usage from the provider no token counts are logged', async () => {
    const name = model()
    provider.script(name, { text: ['Hi'], usage: null })
    const params = { model: name, input: 'Hi', stream: true as const }
    for await (const _ of await trackOpenAI(hh, params, openai.responses.create(params)));
    const event = await one()
    expect(event.usage).toBeUndefined()
    expect(event.metadata).toMatchObject({ status: 'success', usage_reported: false })
    expect(event.metadata).not.toHaveProperty('output_tokens_per_second')
  })

  test('an error event mid-stream reaches the loop and is logged as status error with the partial text', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], failAfter: 2, errorMessage: 'The model crashed' })
    const params = { model: name, input: 'Count', stream: true as const }
    const stream = await trackOpenAI(hh, params, openai.responses.create(params))
    const error = await (async () => {
      for await (const _ of stream);
    })().catch((error) => error)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    const event = await one()
    expect(event.error).toBe(error.message)
    expect(event.response.content).toBe('One two ')
    expect(event.metadata).toMatchObject({ status: 'error', stream: true })
  })

  test('a response.failed event is logged as status error with the provider message, the stream itself ending normally', async () => {
    const name = model()
    provider.script(name, { text: ['Par', 'tial'], failed: true, errorMessage: 'Generation failed' })
    const params = { model: name, input: 'Go', stream: true as const }
    const types: string[] = []
    for await (const event of await trackOpenAI(hh, params, openai.responses.create(params))) types.push(event.type)
    expect(types.at(-1)).toBe('response.failed')
    const event = await one()
    expect(event.error).toBe('Generation failed')
    expect(event.response.content).toBe('Partial')
    expect(event.metadata).toMatchObject({ status: 'error', finish_reason: 'failed' })
  })

  test('a cut connection is logged as status error with the partial text', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], cutAfter: 1 })
    const params = { model: name, input: 'Count', stream: true as const }
    const stream = await trackOpenAI(hh, params, openai.responses.create(params))
    const error = await (async () => {
      for await (const _ of stream);
    })().catch((error) => error)
    const event = await one()
    expect(event.error).toBe(error.message)
    expect(event.response.content).toBe('One ')
    expect(event.metadata.status).toBe('error')
  })

  test('break out of for await logs status cancelled with the partial text and no finish_reason', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], holdAfter: 2 })
    const params = { model: name, input: 'Count', stream: true as const }
    let text = ''
    for await (const event of await trackOpenAI(hh, params, openai.responses.create(params))) {
      if (event.type === 'response.output_text.delta') text += event.delta
      if (text === 'One two ') break
    }
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true })
    expect(event.metadata).not.toHaveProperty('finish_reason')
    expect(provider.requests.find((request) => request.body.model === name)?.cancelled).toBe(true)
  })
})

describe('trackOpenAI with responses.stream()', () => {
  test('its events and finalResponse() keep working, and one event is logged', async () => {
    const name = model()
    provider.script(name, { text: ['Hel', 'lo'] })
    const params = { model: name, input: 'Hi' }
    const helper = openai.responses.stream(params)
    const stream = await trackOpenAI(hh, params, helper)
    expect(stream).toBe(helper)
    const deltas: string[] = []
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta))
    const final = await stream.finalResponse()
    expect(deltas).toEqual(['Hel', 'lo'])
    expect(final.output_text).toBe('Hello')
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'Hello' })
    expect(event.metadata).toMatchObject({ status: 'success', stream: true, finish_reason: 'completed' })
  })

  test('stopped with abort() it logs status cancelled with the partial text', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], holdAfter: 2 })
    const params = { model: name, input: 'Count' }
    const stream = await trackOpenAI(hh, params, openai.responses.stream(params))
    let text = ''
    stream.on('response.output_text.delta', (event) => (text += event.delta) === 'One two ' && stream.abort())
    await expect(stream.done()).rejects.toThrow()
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true })
    expect(event.error).toBeUndefined()
  })
})
