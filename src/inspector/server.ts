import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { networkInterfaces } from 'node:os'
import { Readable } from 'node:stream'
import { loopbackHosts } from './access.js'
import { createInspector, type Inspector, type InspectorOptions } from './inspector.js'

/** Options of `startInspector`. */
export interface StartInspectorOptions extends InspectorOptions {
  /** Port to listen on; 0 picks a free one. @default 8787 */
  port?: number
  /**
   * Address to bind. Anything but loopback makes the page, and the events it shows, reachable from the
   * network: whoever reaches the address reads every prompt and can write sessions. @default '127.0.0.1'
   */
  host?: string
}

/** A running inspector. */
export interface RunningInspector {
  /** The page, e.g. `http://127.0.0.1:8787/`. */
  url: string
  /** What to give `createClient({ baseUrl })` (or the relay): the same origin, no trailing slash. */
  baseUrl: string
  port: number
  host: string
  inspector: Inspector
  /** Ends the live streams and stalls, closes every connection and the server. */
  close(): Promise<void>
}

/**
 * The host names this server answers as: loopback, the address it binds to, and, bound to every interface
 * (`0.0.0.0`, `::`), each address of this machine's interfaces. Any other `Host` is a rebound name (403).
 */
function hostsFor(host: string): string[] {
  const wildcard = host === '0.0.0.0' || host === '::'
  const names = wildcard
    ? Object.values(networkInterfaces())
        .flat()
        .filter((address) => address !== undefined && (host === '::' || address.family === 'IPv4'))
        .map((address) => address!.address)
    : [host]
  return [
    ...new Set([
      ...loopbackHosts,
      ...names.map((name) => (name.includes(':') ? `[${name.split('%')[0]}]` : name.toLowerCase())),
    ]),
  ]
}

function toRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  const body =
    req.method === 'GET' || req.method === 'HEAD' ? undefined : (Readable.toWeb(req) as ReadableStream<Uint8Array>)
  return new Request(new URL(req.url ?? '/', origin), {
    method: req.method,
    headers,
    body,
    duplex: 'half',
  } as RequestInit)
}

/**
 * Writes a fetch answer to Node's response as it comes: headers at once (a stall shows them, then nothing),
 * the body chunk by chunk (the live stream never ends). `Response.error()`, fetch's network error, drops
 * the connection: what "down" plays.
 */
async function respond(response: Response, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (response.type === 'error') return void req.socket.destroy()
  res.writeHead(response.status, Object.fromEntries(response.headers))
  res.flushHeaders()
  if (!response.body) return void res.end()
  const reader = response.body.getReader()
  res.once('close', () => void reader.cancel().catch(() => {}))
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (!res.write(chunk.value))
        await new Promise((resolve) => {
          res.once('drain', resolve)
          res.once('close', resolve)
        })
    }
    res.end()
  } catch {
    // The body failed (a stall that ran out): drop the connection rather than end an answer that is not whole.
    res.destroy()
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/**
 * Starts the inspector on Node's `http` (what `honeyhive-edge dev` runs): the page at `url`, the batch
 * routes at `baseUrl`. Binds to loopback unless told otherwise. Whatever the address, every route answers
 * only the host names it listens on (loopback names, the bound address or, bound to every interface, this
 * machine's addresses) and `allowedHosts`: a guard against DNS rebinding. Rejects when the port is taken
 * (`EADDRINUSE`).
 *
 * @example
 * const { baseUrl, url, close } = await startInspector({ port: 0 })
 * const hh = createClient({ baseUrl })
 */
export async function startInspector(options: StartInspectorOptions = {}): Promise<RunningInspector> {
  const { port = 8787, host = '127.0.0.1', ...rest } = options
  const inspector = createInspector({ ...rest, allowedHosts: [...hostsFor(host), ...(rest.allowedHosts ?? [])] })
  const name = host.includes(':') ? `[${host}]` : host
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => inspector.fetch(toRequest(req, `http://${req.headers.host ?? name}`)))
      .then((response) => respond(response, req, res))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end('inspector failed')
      })
  })
  await listen(server, port, host)
  const bound = (server.address() as { port: number }).port
  // Bound to every interface: this machine reaches it on loopback.
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : name
  const baseUrl = `http://${local}:${bound}`
  return {
    url: `${baseUrl}/`,
    baseUrl,
    port: bound,
    host,
    inspector,
    close: () =>
      new Promise<void>((resolve) => {
        inspector.close()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
