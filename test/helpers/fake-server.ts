import { afterEach } from 'vitest'
import { serve } from '../../src/node.js'
import { createFakeHoneyHive, type FakeHoneyHiveOptions } from '../../src/testing.js'

const running: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()))
})

/** A fake HoneyHive on a real loopback socket, closed after the test. */
export async function startFakeHoneyHive(options: FakeHoneyHiveOptions = {}) {
  const honeyhive = createFakeHoneyHive(options)
  const server = await serve(honeyhive)
  running.push(server.close)
  return { honeyhive, baseUrl: server.url, server }
}

/** A loopback port where nothing listens: connections are refused. */
export async function deadBaseUrl(): Promise<string> {
  const server = await serve(() => new Response(null))
  await server.close()
  return server.url
}

/** Ids of the events the fake stored, in order. */
export const storedIds = (events: Array<{ event_id?: string }>) => events.map((event) => event.event_id)

/** The POST requests the fake received (browsers and happy-dom also send CORS preflights). */
export const posts = (honeyhive: { requests: Array<{ method: string }> }) =>
  honeyhive.requests.filter((request) => request.method === 'POST') as ReturnType<typeof createFakeHoneyHive>['requests']
