import OpenAI from 'openai'
import { describe, expect, test } from 'vitest'
import { trackOpenAI } from '../../src/providers/openai.js'
import { model, startHarness } from './harness.js'

// Stopping an OpenAI chat stream every way the SDK allows, and its .stream() helper; each event checked at the fake HoneyHive.
const { provider, url, hh, one } = await startHarness()
const openai = new OpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${url}/v1`, maxRetries: 0 })
const ask = <E extends object = {}>(name: string, extra?: E) => ({
  model: name,
  messages: [{ role: 'user' as const, content: 'Hi' }],
  ...(extra as E),
})

describe('trackOpenAI with a chat stream stopped early', () => {
  const stopped = async (name: string) => {
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true, usage_reported: false })
    expect(event.metadata).not.toHaveProperty('finish_reason')
    expect(event.error).toBeUndefined()
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThan(0)
    // The stop reached the provider: the request was closed before its end.
    expect(provider.requests.find((request) => request.body.model === name)?.cancelled).toBe(true)
  }
  const script = (name: string) =>
    provider.script(name, { text: ['One ', 'two ', 'three ', 'four'], holdAfter: 2, usage: { input: 5, output: 4 } })
  const params = (name: string) => ask(name, { stream: true as const, stream_options: { include_usage: true } })

  test('controller.abort() ends the loop quietly and logs status cancelled with the partial reply', async () => {
    const name = model()
    script(name)
    const stream = await trackOpenAI(hh, params(name), openai.chat.completions.create(params(name)))
    let text = ''
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      if (text === 'One two ') stream.controller.abort()
    }
    expect(text).toBe('One two ')
    await stopped(name)
  })

  test('an aborted signal passed to the SDK logs status cancelled with the partial reply', async () => {
    const name = model()
    script(name)
    const stop = new AbortController()
    const stream = await trackOpenAI(
      hh,
      params(name),
      openai.chat.completions.create(params(name), { signal: stop.signal }),
    )
    let text = ''
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      if (text === 'One two ') stop.abort()
    }
    await stopped(name)
  })

  test('break out of for await logs status cancelled with the partial reply', async () => {
    const name = model()
    script(name)
    const stream = await trackOpenAI(hh, params(name), openai.chat.completions.create(params(name)))
    let text = ''
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      if (text === 'One two ') break
    }
    await stopped(name)
  })

  test('cancel() of toReadableStream() logs status cancelled with the partial reply', async () => {
    const name = model()
    script(name)
    const stream = await trackOpenAI(hh, params(name), openai.chat.completions.create(params(name)))
    const reader = stream.toReadableStream().getReader()
    const decoder = new TextDecoder()
    let lines = ''
    while (lines.split('\n').length < 4) lines += decoder.decode((await reader.read()).value)
    expect(lines).toContain('"content":"two "')
    await reader.cancel()
    await stopped(name)
  })

  test('a stream aborted before it is read is logged once as cancelled, with no text', async () => {
    const name = model()
    script(name)
    const stream = await trackOpenAI(hh, params(name), openai.chat.completions.create(params(name)))
    stream.controller.abort()
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: null })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true })
    expect(event.metadata).not.toHaveProperty('time_to_first_token_ms')
  })

  test('an iterator closed before its first next() is logged once as cancelled (openai 7.59 wraps the iterator)', async () => {
    const name = model()
    script(name)
    const stream = await trackOpenAI(hh, params(name), openai.chat.completions.create(params(name)))
    await stream[Symbol.asyncIterator]().return?.()
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: null })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true })
  })

  test('a stream cut by AbortSignal.timeout is logged as an error, not as cancelled, with the partial reply', async () => {
    const name = model()
    script(name)
    const stream = await trackOpenAI(
      hh,
      params(name),
      openai.chat.completions.create(params(name), { signal: AbortSignal.timeout(300) }),
    )
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    expect(text).toBe('One two ')
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'error', stream: true })
    expect(event.error).toMatch(/timed? ?out|timeout/i)
  })
})

describe('trackOpenAI with a call stopped before its answer', () => {
  test('an aborted signal rejects with the SDK abort error, named Error, and the call is logged as cancelled, not as an error', async () => {
    const name = model()
    provider.script(name, { text: ['Late'], delayMs: 2_000 })
    const stop = new AbortController()
    const params = ask(name)
    const call = trackOpenAI(hh, params, openai.chat.completions.create(params, { signal: stop.signal }))
    setTimeout(() => stop.abort(), 50)
    const error = await call.catch((error) => error)
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError)
    expect(error.name).toBe('Error')
    const event = await one()
    expect(event.metadata).toEqual({ status: 'cancelled', stream: false, usage_reported: false })
    expect(event.error).toBeUndefined()
    expect(event.response).toBeUndefined()
  })

  test('a call cut by AbortSignal.timeout before its answer is logged as an error, not as cancelled', async () => {
    const name = model()
    provider.script(name, { text: ['Late'], delayMs: 2_000 })
    const params = ask(name)
    const error = await trackOpenAI(
      hh,
      params,
      openai.chat.completions.create(params, { signal: AbortSignal.timeout(50) }),
    ).catch((error) => error)
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError)
    const event = await one()
    expect(event.metadata).toEqual({ status: 'error', stream: false, usage_reported: false })
    expect(event.error).toBe(error.cause.message)
  })
})

describe('trackOpenAI with the chat streaming helpers', () => {
  test('tee() branches both read every chunk and the call is logged once', async () => {
    const name = model()
    const params = ask(name, { stream: true as const })
    const [left, right] = (await trackOpenAI(hh, params, openai.chat.completions.create(params))).tee()
    const read = async (stream: typeof left) => {
      let text = ''
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      return text
    }
    expect(await Promise.all([read(left), read(right)])).toEqual(['echo: Hi', 'echo: Hi'])
    const event = await one()
    expect(event.response.content).toBe('echo: Hi')
    expect(event.metadata.status).toBe('success')
  })

  test('chat.completions.stream(): its events and finalChatCompletion() keep working, one event logged', async () => {
    const name = model()
    provider.script(name, { text: ['Hi ', 'you'], usage: { input: 4, output: 2 } })
    const params = { ...ask(name), stream_options: { include_usage: true } }
    const helper = openai.chat.completions.stream(params)
    const stream = await trackOpenAI(hh, params, helper)
    expect(stream).toBe(helper)
    const deltas: string[] = []
    stream.on('content', (delta) => deltas.push(delta))
    const final = await stream.finalChatCompletion()
    expect(deltas).toEqual(['Hi ', 'you'])
    expect(final.choices[0].message.content).toBe('Hi you')
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'Hi you' })
    expect(event.usage).toEqual({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 })
    expect(event.metadata).toMatchObject({ status: 'success', stream: true, finish_reason: 'stop' })
    expect(event.metadata.time_to_first_token_ms).toBeGreaterThan(0)
  })

  test('chat.completions.stream() stopped with abort() logs status cancelled with the partial reply', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], holdAfter: 2 })
    const params = ask(name)
    const stream = await trackOpenAI(hh, params, openai.chat.completions.stream(params))
    stream.on('content', (_, snapshot) => snapshot === 'One two ' && stream.abort())
    await expect(stream.done()).rejects.toThrow()
    expect(stream.aborted).toBe(true)
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'cancelled', stream: true })
    expect(event.metadata).not.toHaveProperty('finish_reason')
    expect(event.error).toBeUndefined()
  })

  test('chat.completions.stream() with an error answer logs status error with the SDK error message', async () => {
    const name = model()
    provider.script(name, { status: 500, errorMessage: 'Upstream overloaded' })
    const params = ask(name)
    const stream = await trackOpenAI(hh, params, openai.chat.completions.stream(params))
    const error = await stream.finalChatCompletion().catch((error) => error)
    expect(error).toBeInstanceOf(OpenAI.InternalServerError)
    const event = await one()
    expect(event.error).toBe(error.message)
    expect(event.metadata).toMatchObject({ status: 'error', stream: true })
  })
})
