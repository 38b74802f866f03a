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

  test('streamed calls sharing one long-lived signal leave no abort listener of ours behind once settled', async () => {
    const stop = new AbortController()
    // The listeners our code adds to the caller's signal (known by the stack at the time they are added): the
    // AI SDK and the fetch below it add and keep some of their own, in numbers that vary from run to run.
    const ours = new Set<unknown>()
    const add = stop.signal.addEventListener.bind(stop.signal)
    stop.signal.addEventListener = ((type: string, listener: unknown, options?: unknown) => {
      if (/src[\\/]providers[\\/]/.test(new Error().stack ?? '')) ours.add(listener)
      add(type, listener as EventListener, options as AddEventListenerOptions)
    }) as typeof stop.signal.addEventListener
    for (let i = 0; i < 20; i++) {
      const name = model()
      const result = streamText({ model: chat(name), prompt: `call ${i}`, abortSignal: stop.signal, maxRetries: 0 })
      await result.consumeStream()
    }
    await hh.flush()
    expect(honeyhive.events.length).toBe(20)
    expect(ours.size).toBeGreaterThan(0)
    // Each listener the middleware left would hold its call's reply for the signal's lifetime (300 calls: +31.6 MB, issue 22).
    const left = getEventListeners(stop.signal, 'abort').filter((listener) => ours.has(listener))
    expect(left).toEqual([])
  })
})
