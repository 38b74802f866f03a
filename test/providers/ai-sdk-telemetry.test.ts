import { createOpenAI } from '@ai-sdk/openai'
import { generateText, jsonSchema, stepCountIs, streamText, tool, wrapLanguageModel, type LanguageModel } from 'ai'
import { afterAll, beforeEach, describe, expect, test } from 'vitest'
import { createClient, type ModelEvent } from '../../src/index.js'
import { serve } from '../../src/node.js'
import { honeyhiveMiddleware, honeyhiveTelemetry } from '../../src/providers/ai-sdk.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { createFakeProvider } from '../helpers/fake-provider.js'
import { model } from './harness.js'

// Issue 18 item 3: the real `ai` 7 and @ai-sdk/openai against the fake provider; the tree checked at a fake
// HoneyHive on the v1 route (chain and tool events need it).
const provider = createFakeProvider()
const server = await serve(provider)
const honeyhive = createFakeHoneyHive({ apiKey: 'hh-telemetry' })
const hh = createClient({
  apiKey: 'hh-telemetry',
  route: '/v1/events/batch',
  baseUrl: 'http://127.0.0.1:9',
  fetch: (input, init) => honeyhive(new Request(input, init)),
  flushIntervalMs: 60_000,
})
beforeEach(async () => {
  await hh.flush()
  honeyhive.reset()
})
afterAll(async () => {
  await hh.shutdown({ timeoutMs: 0 })
  await server.close()
})

const openai = createOpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${server.url}/v1` })
const weather = (execute = async ({ city }: { city: string }) => `sunny in ${city}`) =>
  tool({
    description: 'The weather in a city',
    inputSchema: jsonSchema<{ city: string }>({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    }),
    execute,
  })
const twoSteps = (name: string, second: object = {}) =>
  provider.script(
    name,
    { toolCalls: [{ id: 'call_1', name: 'weather', args: ['{"city":', '"Paris"}'] }] },
    { text: ['Sunny ', 'in ', 'Paris'], usage: { input: 20, output: 3 }, ...second },
  )
const telemetry = { functionId: 'weather-chat', integrations: [honeyhiveTelemetry(hh, { metadata: { app: 'test' } })] }

/** Every event logged so far, once nothing more arrives, by type. */
async function tree() {
  await new Promise((resolve) => setTimeout(resolve, 50))
  await hh.flush()
  const of = (type: string) =>
    honeyhive.events.filter((event) => event.event_type === type) as Array<
      ModelEvent & { metadata: Record<string, any>; outputs: any; inputs: any }
    >
  return { chains: of('chain'), models: of('model'), tools: of('tool'), all: honeyhive.events }
}

describe('honeyhiveTelemetry', () => {
  test('a two-step streamText with a tool logs 1 chain, 2 model and 1 tool event, all children of the chain', async () => {
    const name = model()
    twoSteps(name, { delayMs: 20 })
    const result = streamText({
      model: openai.chat(name),
      system: 'Be brief.',
      prompt: 'Weather in Paris?',
      tools: { weather: weather() },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
      telemetry,
    })
    expect(await result.text).toBe('Sunny in Paris')
    const { chains, models, tools, all } = await tree()
    expect([chains.length, models.length, tools.length, all.length]).toEqual([1, 2, 1, 4])
    const [chain] = chains
    expect(chain).toMatchObject({
      event_name: 'weather-chat',
      inputs: {
        chat_history: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather in Paris?' },
        ],
      },
      outputs: { role: 'assistant', content: 'Sunny in Paris' },
      metadata: { status: 'success', steps: 2, finish_reason: 'stop', app: 'test' },
    })
    for (const child of [...models, ...tools]) expect(child.parent_id).toBe(chain.event_id)
    expect(chain.children_ids).toEqual(expect.arrayContaining([...models, ...tools].map((event) => event.event_id)))
    expect(tools[0]).toMatchObject({
      event_name: 'weather',
      inputs: { city: 'Paris' },
      outputs: { result: 'sunny in Paris' },
      metadata: { tool_call_id: 'call_1', status: 'success' },
    })
    // Each model call with what the middleware logs: the prompt it got, tool calls, usage, time to first token.
    expect(models[0]).toMatchObject({
      event_name: 'ai-sdk.openai',
      config: { model: name, provider: 'openai' },
      metadata: { status: 'success', stream: true, finish_reason: 'tool_calls' },
    })
    expect(models[0].outputs.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ])
    expect(models[1]).toMatchObject({
      outputs: { role: 'assistant', content: 'Sunny in Paris' },
      metadata: { prompt_tokens: 20, completion_tokens: 3, finish_reason: 'stop' },
    })
    expect(models[1].inputs.chat_history).toHaveLength(4)
    expect(models[1].metadata.time_to_first_token_ms).toBeGreaterThanOrEqual(15)
    // The tree's times nest: every child inside its chain.
    for (const child of [...models, ...tools]) {
      expect(child.start_time).toBeGreaterThanOrEqual(chain.start_time!)
      expect(child.end_time).toBeLessThanOrEqual(chain.end_time!)
    }
  })

  test('with honeyhiveMiddleware on the same model, each model call is still logged once (streamText and generateText)', async () => {
    for (const run of [streamText, generateText] as Array<(options: any) => { text: PromiseLike<string> | string }>) {
      honeyhive.reset()
      const name = model()
      twoSteps(name)
      const wrapped: LanguageModel = wrapLanguageModel({
        model: openai.chat(name),
        middleware: honeyhiveMiddleware(hh),
      })
      const result = await run({
        model: wrapped,
        prompt: 'Weather in Paris?',
        tools: { weather: weather() },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
        telemetry,
      })
      expect(await result.text).toBe('Sunny in Paris')
      const { chains, models, tools } = await tree()
      expect([chains.length, models.length, tools.length]).toEqual([1, 2, 1])
      for (const event of models) expect(event.parent_id).toBe(chains[0].event_id)
      expect(models.map((event) => event.metadata.stream)).toEqual(run === streamText ? [true, true] : [false, false])
    }
  })

  test('stopped in step 2, the run is one cancelled chain with the step it finished; the stopped call keeps its partial text', async () => {
    const name = model()
    twoSteps(name, { holdAfter: 2 })
    const stop = new AbortController()
    const wrapped = wrapLanguageModel({ model: openai.chat(name), middleware: honeyhiveMiddleware(hh) })
    const result = streamText({
      model: wrapped,
      prompt: 'Weather in Paris?',
      tools: { weather: weather() },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
      abortSignal: stop.signal,
      telemetry,
    })
    let text = ''
    for await (const delta of result.textStream) if ((text += delta) === 'Sunny in ') stop.abort()
    const { chains, models, tools, all } = await tree()
    expect([chains.length, models.length, tools.length, all.length]).toEqual([1, 2, 1, 4])
    expect(chains[0].metadata).toMatchObject({ status: 'cancelled', steps: 1 })
    expect(chains[0].error).toBeUndefined()
    expect(models.map((event) => event.metadata.status)).toEqual(['success', 'cancelled'])
    expect(models[1].outputs).toEqual({ role: 'assistant', content: 'Sunny in ' })
    for (const child of [...models, ...tools]) {
      expect(child.parent_id).toBe(chains[0].event_id)
      expect(child.end_time).toBeLessThanOrEqual(chains[0].end_time!)
    }
  })

  test('two concurrent runs stay apart: each chain holds its own model and tool events', async () => {
    const [a, b] = [model(), model()]
    twoSteps(a, { delayMs: 15 })
    provider.script(
      b,
      { toolCalls: [{ id: 'call_9', name: 'weather', args: ['{"city":"Oslo"}'] }] },
      { text: ['Snow ', 'in Oslo'], delayMs: 10 },
    )
    const ask = (name: string, city: string) =>
      streamText({
        model: openai.chat(name),
        prompt: `Weather in ${city}?`,
        tools: { weather: weather() },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
        telemetry,
      }).text
    expect(await Promise.all([ask(a, 'Paris'), ask(b, 'Oslo')])).toEqual(['Sunny in Paris', 'Snow in Oslo'])
    const { chains, models, tools } = await tree()
    expect([chains.length, models.length, tools.length]).toEqual([2, 4, 2])
    for (const chain of chains) {
      const city = (chain.inputs.chat_history as Array<{ content: string }>)[0].content.includes('Oslo')
        ? 'Oslo'
        : 'Paris'
      const mine = [...models, ...tools].filter((event) => event.parent_id === chain.event_id)
      expect(mine).toHaveLength(3)
      expect(mine.find((event) => event.event_type === 'tool')!.inputs).toEqual({ city })
      expect(chain.outputs.content).toContain(city)
    }
  })

  test('a failing model call logs one error chain and one error model event; a failing tool logs an error tool event', async () => {
    const name = model()
    provider.script(name, { status: 400, errorMessage: 'Invalid schema for function' })
    const error = await generateText({ model: openai.chat(name), prompt: 'Hi', maxRetries: 0, telemetry }).catch(
      (error) => error,
    )
    expect(error.message).toContain('Invalid schema')
    const { chains, models, all } = await tree()
    expect(all).toHaveLength(2)
    expect(chains[0]).toMatchObject({
      metadata: { status: 'error', steps: 0 },
      error: expect.stringContaining('Invalid schema'),
    })
    expect(models[0]).toMatchObject({ parent_id: chains[0].event_id, metadata: { status: 'error', stream: false } })
    honeyhive.reset()
    const broken = model()
    twoSteps(broken)
    const failing = weather(async () => {
      throw new Error('weather service down')
    })
    await generateText({
      model: openai.chat(broken),
      prompt: 'Weather?',
      tools: { weather: failing },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
      telemetry,
    })
    const logged = await tree()
    expect([logged.chains.length, logged.tools.length]).toEqual([1, 1])
    expect(logged.tools[0]).toMatchObject({
      parent_id: logged.chains[0].event_id,
      error: 'weather service down',
      metadata: { status: 'error' },
    })
  })

  test('recordInputs: false and recordOutputs: false leave out the prompts, replies, tool inputs and results', async () => {
    const name = model()
    twoSteps(name)
    const result = streamText({
      model: openai.chat(name),
      prompt: 'My secret question',
      tools: { weather: weather() },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
      telemetry: { ...telemetry, recordInputs: false, recordOutputs: false },
    })
    expect(await result.text).toBe('Sunny in Paris')
    const { all, chains, models } = await tree()
    expect(all).toHaveLength(4)
    const wire = JSON.stringify(all)
    for (const hidden of ['secret', 'Sunny', 'sunny', 'Paris']) expect(wire).not.toContain(hidden)
    expect(chains[0].metadata).toMatchObject({ status: 'success', steps: 2 })
    expect(models[1].metadata).toMatchObject({ status: 'success', completion_tokens: 3 })
  })

  test("given a span, each run's chain is logged as its child", async () => {
    const name = model()
    provider.script(name, { text: ['Hi'] })
    const conversation = hh.startChain({ event_name: 'conversation' })
    const result = streamText({
      model: openai.chat(name),
      prompt: 'Hi',
      maxRetries: 0,
      telemetry: { integrations: [honeyhiveTelemetry(conversation)] },
    })
    expect(await result.text).toBe('Hi')
    await new Promise((resolve) => setTimeout(resolve, 20))
    conversation.end()
    const { chains, models } = await tree()
    const run = chains.find((event) => event.event_id !== conversation.event_id)!
    expect(run).toMatchObject({ event_name: 'ai.streamText', parent_id: conversation.event_id })
    expect(models[0].parent_id).toBe(run.event_id)
    expect(chains.find((event) => event.event_id === conversation.event_id)!.children_ids).toEqual([run.event_id])
  })
})
