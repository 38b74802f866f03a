import { getEventListeners } from 'node:events'
import { createOpenAI } from '@ai-sdk/openai'
import { streamText, wrapLanguageModel } from 'ai'
import { describe, expect, test } from 'vitest'
import { honeyhiveMiddleware } from '../../src/providers/ai-sdk.js'
import { model, startHarness } from './harness.js'

// The caller's abortSignal and the middleware: a deadline is a failure, and a long-lived signal holds nothing.
const { provider, url, hh, one, honeyhive } = await startHarness()
const openai = createOpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${url}/v1` })
const chat = (name: string) => wrapLanguageModel({ model: openai.chat(name), middleware: honeyhiveMiddleware(hh) })

describe('honeyhiveMiddleware and the caller signal', () => {
  test('a stream cut by AbortSignal.timeout is logged as an error with the partial text, not as cancelled', async () => {
    const name = model()
    provider.script(name, { text: ['One ', 'two ', 'three'], holdAfter: 2 })
    const result = streamText({
      model: chat(name),
      prompt: 'Count',
      abortSignal: AbortSignal.timeout(300),
      maxRetries: 0,
      onError: () => {},
    })
    await result.consumeStream({ onError: () => {} })
    const event = await one()
    expect(event.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(event.metadata).toMatchObject({ status: 'error', stream: true })
    expect(event.error).toMatch(/timed? ?out|timeout/i)
  })

  test('streamed calls sharing one long-lived signal leave no abort listener behind once settled', async () => {
    const stop = new AbortController()
    const added = async (wrapped: boolean) => {
      const before = getEventListeners(stop.signal, 'abort').length
      for (let i = 0; i < 20; i++) {
        const name = model()
        const result = streamText({
          model: wrapped ? chat(name) : openai.chat(name),
          prompt: `call ${i}`,
          abortSignal: stop.signal,
          maxRetries: 0,
        })
        await result.consumeStream()
      }
      return getEventListeners(stop.signal, 'abort').length - before
    }
    // What the AI SDK and the fetch below it leave on the signal themselves, without the middleware.
    const bare = await added(false)
    // Each listener the middleware left would hold its call's reply for the signal's lifetime (300 calls: +31.6 MB, issue 22).
    expect(await added(true)).toBe(bare)
    await hh.flush()
    expect(honeyhive.events.length).toBe(20)
  })
})
