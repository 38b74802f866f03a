import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { describe, expect, test } from 'vitest'
import { wrapAnthropic } from '../../src/providers/anthropic.js'
import { wrapOpenAI } from '../../src/providers/openai.js'
import { model, startHarness } from './harness.js'

// Issue 21 item 1: the SDK client wrapped once; each model call logged as trackX logs it, all else untouched.
const { provider, url, hh, one, honeyhive } = await startHarness()
const raw = new OpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${url}/v1`, maxRetries: 0 })
const openai = wrapOpenAI(raw, hh, { metadata: { feature: 'wrapped' } })
const rawAnthropic = new Anthropic({ apiKey: 'sk-ant-test-not-a-key', baseURL: url, maxRetries: 0 })
const anthropic = wrapAnthropic(rawAnthropic, hh)
const user = (content: string) => [{ role: 'user' as const, content }]

describe('wrapOpenAI', () => {
  test('chat.completions.create, streamed or not, is logged once per call with params written once', async () => {
    const name = model()
    provider.script(name, { text: ['Hello'], usage: { input: 4, output: 1 } }, { text: ['Hel', 'lo'], delayMs: 5 })
    const reply = await openai.chat.completions.create({ model: name, messages: user('Hi'), temperature: 0.2 })
    expect(reply.choices[0].message.content).toBe('Hello')
    const event = await one()
    expect(event).toMatchObject({
      model: name,
      event_name: 'openai.chat',
      hyperparameters: { temperature: 0.2 },
      response: { content: 'Hello' },
    })
    expect(event.metadata).toMatchObject({ status: 'success', stream: false, feature: 'wrapped' })
    honeyhive.reset()
    let text = ''
    for await (const chunk of await openai.chat.completions.create({ model: name, messages: user('Hi'), stream: true }))
      text += chunk.choices[0]?.delta.content ?? ''
    expect(text).toBe('Hello')
    const streamed = await one()
    expect(streamed.metadata).toMatchObject({ status: 'success', stream: true })
    expect(streamed.metadata.time_to_first_token_ms).toBeGreaterThan(0)
  })

  test('responses.create and the .stream() helpers are logged; a helper comes back at once, its events working', async () => {
    const name = model()
    provider.script(name, { text: ['Bon', 'jour'] }, { text: ['Sa', 'lut'] }, { text: ['Hola'] })
    expect((await openai.responses.create({ model: name, input: 'Hi' })).output_text).toBe('Bonjour')
    const helper = openai.chat.completions.stream({ model: name, messages: user('Hi') })
    const deltas: string[] = []
    helper.on('content', (delta) => deltas.push(delta))
    expect((await helper.finalChatCompletion()).choices[0].message.content).toBe('Salut')
    expect(deltas).toEqual(['Sa', 'lut'])
    const response = openai.responses.stream({ model: name, input: 'Hi' })
    expect((await response.finalResponse()).output_text).toBe('Hola')
    await hh.flush()
    await new Promise((resolve) => setTimeout(resolve, 30))
    await hh.flush()
    expect(
      honeyhive.events.map((event) => [
        event.event_name,
        (event.response as { content: string }).content,
        event.metadata?.stream,
      ]),
    ).toEqual([
      ['openai.responses', 'Bonjour', false],
      ['openai.chat', 'Salut', true],
      ['openai.responses', 'Hola', true],
    ])
  })

  test('everything else passes through: the same client class, its fields and resources, the original client unlogged', async () => {
    expect(openai).toBeInstanceOf(OpenAI)
    expect(openai.baseURL).toBe(raw.baseURL)
    expect(openai.models).toBe(raw.models)
    expect(openai.withOptions({ timeout: 1000 })).toBeInstanceOf(OpenAI)
    const name = model()
    provider.script(name, { text: ['Hi'] }, { text: ['Hi'] })
    const { data, response } = await openai.chat.completions
      .create({ model: name, messages: user('Hi') })
      .withResponse()
    expect([data.choices[0].message.content, response.status]).toEqual(['Hi', 200])
    await one()
    honeyhive.reset()
    await raw.chat.completions.create({ model: name, messages: user('Hi') })
    await new Promise((resolve) => setTimeout(resolve, 30))
    await hh.flush()
    expect(honeyhive.events).toEqual([])
  })
})

test('the event keeps the messages as they were sent, also when the app pushes the reply onto them mid-stream', async () => {
  const name = model()
  provider.script(name, { text: ['Hel', 'lo'], delayMs: 5 })
  const messages: { role: 'user' | 'assistant'; content: string }[] = [{ role: 'user', content: 'Hi' }]
  const stream = await openai.chat.completions.create({ model: name, messages, stream: true })
  // A chat page's habit: the reply shown as it streams, in the same array the next turn sends.
  const reply = { role: 'assistant' as const, content: '' }
  messages.push(reply)
  for await (const chunk of stream) reply.content += chunk.choices[0]?.delta.content ?? ''
  expect(reply.content).toBe('Hello')
  const event = await one()
  expect(event.messages).toEqual([{ role: 'user', content: 'Hi' }])
  expect(event.response).toMatchObject({ content: 'Hello' })
})

test('a namespace the client lacks reads as undefined (an older SDK, an OpenAI-compatible client), so feature checks work', async () => {
  const name = model()
  provider.script(name, { text: ['Hi'] })
  const compatible = wrapOpenAI({ chat: raw.chat, responses: null } as unknown as OpenAI, hh)
  expect(compatible.responses?.create).toBeUndefined()
  expect((compatible as unknown as Record<string, unknown>).beta).toBeUndefined()
  const reply = await compatible.chat.completions.create({ model: name, messages: user('Hi') })
  expect(reply.choices[0].message.content).toBe('Hi')
  expect((await one()).model).toBe(name)
})

describe('wrapAnthropic', () => {
  test('messages.create and messages.stream are logged as trackAnthropic logs them', async () => {
    const name = model('claude')
    provider.script(name, { text: ['Hello'], usage: { input: 9, output: 1 } }, { text: ['Sa', 'lut'] })
    expect(
      (await anthropic.messages.create({ model: name, max_tokens: 64, messages: user('Hi') })).content[0],
    ).toMatchObject({ text: 'Hello' })
    const stream = anthropic.messages.stream({ model: name, max_tokens: 64, messages: user('Hi') })
    const texts: string[] = []
    stream.on('text', (text) => texts.push(text))
    await stream.finalMessage()
    expect(texts).toEqual(['Sa', 'lut'])
    await hh.flush()
    await new Promise((resolve) => setTimeout(resolve, 30))
    await hh.flush()
    expect(
      honeyhive.events.map((event) => [
        event.event_name,
        (event.response as { content: string }).content,
        event.metadata?.stream,
      ]),
    ).toEqual([
      ['anthropic.messages', 'Hello', false],
      ['anthropic.messages', 'Salut', true],
    ])
    expect(anthropic).toBeInstanceOf(Anthropic)
  })

  test('a call cut by AbortSignal.timeout is logged as an error (the SDK drops the reason; the wrapper sees the signal)', async () => {
    const name = model('claude')
    provider.script(name, { text: ['Late'], delayMs: 2_000 })
    const error = await anthropic.messages
      .create({ model: name, max_tokens: 64, messages: user('Hi') }, { signal: AbortSignal.timeout(50) })
      .catch((error) => error)
    expect(error).toBeInstanceOf(Anthropic.APIUserAbortError)
    const event = await one()
    expect(event.metadata).toMatchObject({ status: 'error', stream: false })
    expect(event.error).toMatch(/timed? ?out|timeout/i)
  })
})
