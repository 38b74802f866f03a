import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { Readable } from 'node:stream'

/** A standard fetch handler: the fake HoneyHive, the relay, or your own. */
export type FetchHandler = (request: Request) => Promise<Response> | Response

/** A running server: its base URL (no trailing slash) and how to stop it. */
export interface ServedHandler {
  url: string
  port: number
  close(): Promise<void>
}

/**
 * The Node request as a fetch Request whose body streams (with backpressure) instead of being read into
 * memory first: a handler's own limits (the relay's maxBodyBytes) apply while the body arrives.
 */
function toRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  return new Request(new URL(req.url ?? '/', origin), {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    duplex: 'half',
  } as RequestInit)
}

/**
 * Streams the body as it is produced (server-sent events reach the client chunk by chunk). A client that
 * goes away cancels the body; a body that errors cuts the connection, as a crashed upstream would. A handler
 * that refused the request body without reading it all (413, 403) gets its connection closed after the
 * answer, rather than the rest of what may be a huge or endless upload read.
 */
async function writeResponse(response: Response, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!req.complete) res.shouldKeepAlive = false
  res.once('finish', () => {
    if (!req.complete) req.destroy()
  })
  res.writeHead(response.status, Object.fromEntries(response.headers))
  const reader = response.body?.getReader()
  if (!reader) return void res.end()
  res.once('close', () => void reader.cancel().catch(() => {}))
  try {
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      if (!res.write(part.value))
        await new Promise((resolve) => {
          res.once('drain', resolve)
          res.once('close', resolve)
        })
    }
    res.end()
  } catch {
    res.destroy()
  }
}

/**
 * Serves a fetch handler with Node's `http` module, on 127.0.0.1 and a free port unless told otherwise.
 * Node only; for the demo, tests, and running the relay under Node.
 *
 * @example
 * const server = await serve(createFakeHoneyHive())
 * const hh = createClient({ baseUrl: server.url })
 */
export async function serve(
  handler: FetchHandler,
  { port = 0, hostname = '127.0.0.1' }: { port?: number; hostname?: string } = {},
): Promise<ServedHandler> {
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(toRequest(req, `http://${req.headers.host ?? hostname}`)))
      .then((response) => writeResponse(response, req, res))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end('handler failed')
      })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, resolve)
  })
  const address = server.address() as { port: number }
  return {
    url: `http://${hostname}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
