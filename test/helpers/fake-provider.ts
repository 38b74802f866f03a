// A fake model provider for the integration suites: OpenAI chat completions (`/v1/chat/completions`),
// OpenAI Responses (`/v1/responses`) and Anthropic Messages (`/v1/messages`), streamed in the SSE framing
// their real parsers accept (field notes §9), as a fetch handler served on 127.0.0.1 by `serve()`.
// One scripted `Reply` renders in each API's wire format (fake-provider-wire.ts), so the same scenario
// runs against every SDK; this file plays it: delays, faults, a client that goes away.
import { apis, echo, err, type Frame, type Reply } from './fake-provider-wire.js'

export type { Reply, ToolCallScript, UsageScript } from './fake-provider-wire.js'

/** One request the fake answered. */
export interface ProviderRequest {
  path: string
  body: Record<string, any>
  headers: Record<string, string>
  /** The client went away before the answer ended (a stopped stream reached the provider). */
  cancelled: boolean
}

/** Streams `frames` with the reply's delays and faults; marks the request cancelled when the client goes away. */
function stream(frames: Frame[], error: Frame, reply: Reply, record: ProviderRequest): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let next = 0
  let deltas = 0
  let release = () => {}
  return new ReadableStream({
    async pull(controller) {
      const frame = frames[next++]
      if (!frame) return controller.close()
      if (frame.delta) {
        if (deltas === reply.holdAfter)
          await new Promise<void>((resolve) => {
            release = resolve
            setTimeout(resolve, 10_000)
          })
        // A moment first, so what was sent before the cut reaches the client.
        if (deltas === reply.cutAfter)
          return void setTimeout(() => controller.error(new Error('connection cut by the fake provider')), 20)
        if (deltas === reply.failAfter) return (controller.enqueue(encoder.encode(error.text)), controller.close())
        if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
        deltas++
      }
      controller.enqueue(encoder.encode(frame.text))
    },
    cancel() {
      record.cancelled = true
      release()
    },
  })
}

/** The fake provider: a fetch handler, what it received, and a way to script its answers per requested model. */
export function createFakeProvider() {
  const requests: ProviderRequest[] = []
  const scripts = new Map<string, Reply[]>()
  let count = 0
  const script = (model: string, ...replies: Reply[]) =>
    void scripts.set(model, [...(scripts.get(model) ?? []), ...replies])

  async function handle(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url)
    // A browser page calls the fake cross-origin: allow whatever headers the SDK sends (x-stainless-*, anthropic-*).
    const cors = {
      'access-control-allow-origin': request.headers.get('origin') ?? '*',
      'access-control-allow-headers': request.headers.get('access-control-request-headers') ?? 'content-type',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
    }
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: cors })
    if (pathname === '/__script') {
      const { model, replies } = (await request.json()) as { model: string; replies: Reply[] }
      script(model, ...replies)
      return new Response(null, { status: 204, headers: cors })
    }
    if (pathname === '/__requests') return Response.json(requests, { headers: cors })
    const render = apis[pathname as keyof typeof apis]
    if (!render) return Response.json({ error: { message: `No route ${pathname}` } }, { status: 404, headers: cors })
    const body = (await request.json()) as Record<string, any>
    const record: ProviderRequest = {
      path: pathname,
      body,
      headers: Object.fromEntries(request.headers),
      cancelled: false,
    }
    requests.push(record)
    const reply = scripts.get(String(body.model))?.shift() ?? echo(body)
    if (reply.status) {
      const error =
        pathname === '/v1/messages'
          ? { type: 'error', error: { type: 'invalid_request_error', message: err(reply) } }
          : { error: { message: err(reply), type: 'invalid_request_error', param: null, code: null } }
      return Response.json(error, { status: reply.status, headers: cors })
    }
    const { result, frames, error } = render(reply, body, ++count)
    if (!body.stream) {
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
      return Response.json(result, { headers: cors })
    }
    return new Response(stream(frames, error, reply, record), {
      headers: { ...cors, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    })
  }
  return Object.assign(handle, { requests, script })
}

export type FakeProvider = ReturnType<typeof createFakeProvider>
