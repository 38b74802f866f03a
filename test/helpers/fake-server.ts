import { afterEach } from 'vitest'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
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
  honeyhive.requests.filter((request) => request.method === 'POST') as ReturnType<
    typeof createFakeHoneyHive
  >['requests']

/**
 * A loopback server for answers the fake HoneyHive cannot give (a body that stalls, a request never
 * answered): `handle` gets each request with its number (from 1) and its body text. Closed after the test.
 */
export async function startRawServer(
  handle: (req: IncomingMessage, res: ServerResponse, n: number, body: string) => void,
) {
  let n = 0
  const server = createServer((req, res) => {
    // happy-dom enforces CORS like a browser: answer its preflights, allow its origin.
    res.setHeader('access-control-allow-origin', req.headers.origin ?? '*')
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'authorization, content-type',
      })
      return void res.end()
    }
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => handle(req, res, ++n, body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  running.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests: () => n }
}

/** A `{ event_ids, success }` answer for a batch request body, on either route. */
export const accept = (body: string) => {
  const { model_events, events } = JSON.parse(body) as Record<string, Array<{ event_id: string }>>
  return JSON.stringify({ event_ids: (model_events ?? events).map((event) => event.event_id), success: true })
}

/** The routes a client can post to, for suites run on both. */
export const routes = ['/events/model/batch', '/v1/events/batch'] as const
export type TestRoute = (typeof routes)[number]
/** What a client needs for a route: v1 takes a key (a fake set up without one accepts any). */
export const onRoute = (route: TestRoute) =>
  route === '/v1/events/batch' ? { route, apiKey: 'hh-route-test-key', dangerouslyAllowBrowser: true } : {}
