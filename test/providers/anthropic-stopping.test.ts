import Anthropic from '@anthropic-ai/sdk'
import { describe, expect, test } from 'vitest'
import { trackAnthropic } from '../../src/providers/anthropic.js'
import { model, startHarness } from './harness.js'

// Stopping an Anthropic stream every way the SDK allows, and its messages.stream() helper; each event checked at the fake HoneyHive.
const { provider, url, hh, one } = await startHarness()
const anthropic = new Anthropic({ apiKey: 'sk-ant-test-not-a-key', baseURL: url, maxRetries: 0 })
const ask = <E extends object = {}>(name: string, extra?: E) => ({
  model: name,
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Hi' }],
  ...(extra as E),
})

describe('trackAnthropic with a call stopped before its answer', () => {
  test('an aborted signal rejects with the SDK abort error and the call is logged as cancelled, not as an error', async () => {
    const name = model('claude-test')
    provider.script(name, { text: ['Late'], delayMs: 2_000 })
    const stop = new AbortController()
    const params = ask(name)
    const call = trackAnthropic(hh, params, anthropic.messages.create(params, { signal: stop.signal }))
    setTimeout(() => stop.abort(), 50)
    const error = await call.catch((error) => error)
    // Named 'APIUserAbortError' in this SDK (openai's is named 'Error'): the class name is what both share.
    expect(error).toBeInstanceOf(Anthropic.APIUserAbortError)
    const event = await one()
    expect(event.metadata).toEqual({ status: 'cancelled', stream: false, usage_reported: false })
    expect(event.error).toBeUndefined()
  })
})

describe('trackAnthropic with a stream stopped early', () => {
  const script = (name: string) => provider.script(name, { text: ['One ', 'two ', 'three ', 'four'], holdAfter: 2 })
  const stopped = async (name: string) => {
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true })
    expect(event.metadata).not.toHaveProperty('finish_reason')
    expect(event.error).toBeUndefined()
    expect(provider.requests.find((request) => request.body.model === name)?.cancelled).toBe(true)
  }
  const textOf = (event: Anthropic.MessageStreamEvent) =>
    event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? event.delta.text : ''

  test('an aborted signal passed to the SDK logs status cancelled', async () => {
    const name = model('claude-test')
    script(name)
    const stop = new AbortController()
    const params = ask(name, { stream: true as const })
    let text = ''
    for await (const event of await trackAnthropic(
      hh,
      params,
      anthropic.messages.create(params, { signal: stop.signal }),
    )) {
      if ((text += textOf(event)) === 'One two ') stop.abort()
    }
    await stopped(name)
  })

  test('break out of for await logs status cancelled', async () => {
    const name = model('claude-test')
    script(name)
    const params = ask(name, { stream: true as const })
    let text = ''
    for await (const event of await trackAnthropic(hh, params, anthropic.messages.create(params))) {
      if ((text += textOf(event)) === 'One two ') break
    }
    await stopped(name)
  })

  test('cancel() of toReadableStream() logs status cancelled', async () => {
    const name = model('claude-test')
    script(name)
    const params = ask(name, { stream: true as const })
    const reader = (await trackAnthropic(hh, params, anthropic.messages.create(params))).toReadableStream().getReader()
    const decoder = new TextDecoder()
    let lines = ''
    while (!lines.includes('"text":"two "')) lines += decoder.decode((await reader.read()).value)
    await reader.cancel()
    await stopped(name)
  })

  test('tee() branches both read the whole stream and the call is logged once', async () => {
    const name = model('claude-test')
    const params = ask(name, { stream: true as const })
    const [left, right] = (await trackAnthropic(hh, params, anthropic.messages.create(params))).tee()
    const read = async (stream: typeof left) => {
      let text = ''
      for await (const event of stream) text += textOf(event)
      return text
    }
    expect(await Promise.all([read(left), read(right)])).toEqual(['echo: Hi', 'echo: Hi'])
    const event = await one()
    expect(event.response.content).toBe('echo: Hi')
    expect(event.metadata.status).toBe('success')
  })
})

describe('trackAnthropic with messages.stream()', () => {
  test('its events and finalMessage() keep working, and one event is logged', async () => {
    const name = model('claude-test')
    provider.script(name, { text: ['Hel', 'lo'], usage: { input: 8, output: 2 } })
    const params = ask(name)
    const helper = anthropic.messages.stream(params)
    const stream = await trackAnthropic(hh, params, helper)
    expect(stream).toBe(helper)
    const texts: string[] = []
    stream.on('text', (text) => texts.push(text))
    const message = await stream.finalMessage()
    expect(texts).toEqual(['Hel', 'lo'])
    expect(message.content).toEqual([{ type: 'text', text: 'Hello' }])
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'Hello' })
    expect(event.usage).toEqual({ prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 })
    expect(event.metadata).toMatchObject({ status: 'success', stream: true, finish_reason: 'end_turn' })
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThan(0)
  })

  test('stopped with abort() it logs status cancelled with the partial text', async () => {
    const name = model('claude-test')
    script(name)
    const params = ask(name)
    const stream = await trackAnthropic(hh, params, anthropic.messages.stream(params))
    stream.on('text', (_, snapshot) => snapshot === 'One two ' && stream.abort())
    await expect(stream.done()).rejects.toThrow()
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true })
    expect(event.error).toBeUndefined()
  })

  test('an error event mid-stream is logged as status error with the SDK error message', async () => {
    const name = model('claude-test')
    provider.script(name, { text: ['One ', 'two'], failAfter: 1, errorMessage: 'Overloaded' })
    const params = ask(name)
    const stream = await trackAnthropic(hh, params, anthropic.messages.stream(params))
    const error = await stream.finalMessage().catch((error) => error)
    const event = await one()
    expect(event.error).toBe(error.message)
    expect(event.response.content).toBe('One ')
    expect(event.metadata).toMatchObject({ status: 'error', stream: true })
  })

  function script(name: string) {
    provider.script(name, { text: ['One ', 'two ', 'three'], holdAfter: 2 })
  }
})
