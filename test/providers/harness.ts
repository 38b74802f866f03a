// What every provider suite needs: the fake provider on loopback, a fake HoneyHive in process, a client
// logging to it, and a way to wait for the one event a model call logs.
import { afterAll, beforeEach, expect, vi } from 'vitest'
import { createClient, type ModelEvent } from '../../src/index.js'
import { serve } from '../../src/node.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { createFakeProvider } from '../helpers/fake-provider.js'

/** Starts the fakes for one test file; every test starts with an empty fake HoneyHive. */
export async function startHarness() {
  const provider = createFakeProvider()
  const server = await serve(provider)
  const honeyhive = createFakeHoneyHive()
  const hh = createClient({
    baseUrl: 'http://127.0.0.1:9',
    fetch: (input, init) => honeyhive(new Request(input, init)),
    flushAt: 1000,
    flushIntervalMs: 60_000,
  })
  // A failed test may leave its event in the client's queue: deliver it before the next test starts.
  beforeEach(async () => {
    await hh.flush()
    honeyhive.reset()
  })
  afterAll(async () => {
    await hh.shutdown()
    await server.close()
  })

  /** Waits for the call's event, then a little longer to be sure no second one follows; resolves every event logged. */
  async function logged(): Promise<ModelEvent[]> {
    await vi.waitFor(async () => {
      await hh.flush()
      expect(honeyhive.events.length).toBeGreaterThan(0)
    })
    await new Promise((resolve) => setTimeout(resolve, 30))
    await hh.flush()
    return honeyhive.events
  }

  /** The one event the call logged (fails when there is not exactly one). */
  async function one(): Promise<
    ModelEvent & { metadata: Record<string, any>; response: any; usage?: Record<string, number> }
  > {
    const events = await logged()
    expect(events).toHaveLength(1)
    return events[0] as never
  }

  return { provider, url: server.url, honeyhive, hh, one }
}

/** A model name no other test uses, so each test scripts its own answers. */
export const model = (() => {
  let n = 0
  return (name = 'gpt-test') => `${name}-${++n}`
})()
