import Anthropic from '@anthropic-ai/sdk'
import { createOpenAI } from '@ai-sdk/openai'
import { streamText, wrapLanguageModel } from 'ai'
import OpenAI from 'openai'
import { afterAll, expect, test } from 'vitest'
import { createClient, type Span } from '../../src/index.js'
import { serve } from '../../src/node.js'
import { honeyhiveMiddleware } from '../../src/providers/ai-sdk.js'
import { trackAnthropic, wrapAnthropic } from '../../src/providers/anthropic.js'
import { trackOpenAI, wrapOpenAI, type Tracker } from '../../src/providers/openai.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { createFakeProvider } from '../helpers/fake-provider.js'

// Issue 18 item 2: a span stands for the client in every integration; the call becomes the span's child.
const provider = createFakeProvider()
const server = await serve(provider)
const honeyhive = createFakeHoneyHive({ apiKey: 'hh-spans' })
const hh = createClient({
  apiKey: 'hh-spans',
  route: '/v1/events/batch',
  baseUrl: 'http://127.0.0.1:9',
  fetch: (input, init) => honeyhive(new Request(input, init)),
  flushIntervalMs: 60_000,
})
afterAll(async () => {
  await hh.shutdown({ timeoutMs: 0 })
  await server.close()
})

test('trackOpenAI, trackAnthropic and honeyhiveMiddleware given a span log each call as its child, with everything they log', async () => {
  provider.script('gpt-span', { text: ['Hel', 'lo'], usage: { input: 12, output: 2 }, delayMs: 5 })
  provider.script('claude-span', { text: ['Bon', 'jour'], usage: { input: 9, output: 2 } })
  provider.script('ai-span', { text: ['Sa', 'lut'], usage: { input: 5, output: 2 } })
  const turn: Span = hh.startChain({ event_name: 'chat turn', inputs: { question: 'Hi' } })
  // A span is a Tracker as it is.
  const tracker: Tracker = turn
  const openai = new OpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${server.url}/v1`, maxRetries: 0 })
  const chat = {
    model: 'gpt-span',
    messages: [{ role: 'user' as const, content: 'Hi' }],
    stream: true as const,
    stream_options: { include_usage: true },
  }
  for await (const _chunk of await trackOpenAI(tracker, chat, openai.chat.completions.create(chat)));
  const anthropic = new Anthropic({ apiKey: 'sk-ant-test-not-a-key', baseURL: server.url, maxRetries: 0 })
  const message = {
    model: 'claude-span',
    max_tokens: 64,
    messages: [{ role: 'user' as const, content: 'Salut' }],
    stream: true as const,
  }
  for await (const _event of await trackAnthropic(turn, message, anthropic.messages.create(message)));
  const model = wrapLanguageModel({
    model: createOpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${server.url}/v1` }).chat('ai-span'),
    middleware: honeyhiveMiddleware(turn),
  })
  expect(await streamText({ model, prompt: 'Hola', maxRetries: 0 }).text).toBe('Salut')
  turn.end({ outputs: { content: 'done' } })
  await hh.flush()
  const chain = honeyhive.events.find((event) => event.event_type === 'chain')!
  const calls = honeyhive.events.filter((event) => event.event_type === 'model')
  expect(calls.map((event) => event.event_name)).toEqual(['openai.chat', 'anthropic.messages', 'ai-sdk.openai'])
  expect(chain.children_ids).toEqual(calls.map((event) => event.event_id))
  for (const call of calls) {
    expect(call.parent_id).toBe(turn.event_id)
    expect(call.session_id).toBe(chain.session_id)
    expect(call.metadata).toMatchObject({ status: 'success', stream: true, usage_reported: true, completion_tokens: 2 })
    expect(call.metadata!.time_to_first_token_ms).toBeGreaterThan(0)
    expect(call.start_time).toBeGreaterThanOrEqual(chain.start_time!)
    expect(call.end_time).toBeLessThanOrEqual(chain.end_time!)
  }
  expect(calls.map((event) => (event.outputs as { content: string }).content)).toEqual(['Hello', 'Bonjour', 'Salut'])
})

test('wrapOpenAI and wrapAnthropic given a span log each call as its child; the wrapped client stays per turn', async () => {
  honeyhive.reset()
  provider.script('gpt-wrap-span', { text: ['One'] })
  provider.script('claude-wrap-span', { text: ['Two'] })
  const openai = new OpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${server.url}/v1`, maxRetries: 0 })
  const anthropic = new Anthropic({ apiKey: 'sk-ant-test-not-a-key', baseURL: server.url, maxRetries: 0 })
  const turn = hh.startChain({ event_name: 'wrapped turn' })
  await wrapOpenAI(openai, turn).chat.completions.create({
    model: 'gpt-wrap-span',
    messages: [{ role: 'user', content: 'Hi' }],
  })
  await wrapAnthropic(anthropic, turn).messages.create({
    model: 'claude-wrap-span',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Hi' }],
  })
  turn.end()
  await hh.flush()
  const calls = honeyhive.events.filter((event) => event.event_type === 'model')
  expect(calls.map((event) => [event.event_name, event.parent_id])).toEqual([
    ['openai.chat', turn.event_id],
    ['anthropic.messages', turn.event_id],
  ])
  expect(honeyhive.events.find((event) => event.event_type === 'chain')!.children_ids).toEqual(
    calls.map((event) => event.event_id),
  )
})
