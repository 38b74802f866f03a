// The example's offline model with a tool: asked about the weather ("weather in Paris?") with a `weather` tool
// on offer, it calls the tool, then answers from the tool's result; anything else goes to the shared offline
// model (../offline-model.js), which streams your message back. OpenAI's chat completions SSE framing, so the
// real AI SDK provider talks to it as to OpenAI.
import { offlineChatCompletions } from '../offline-model.js'

const encoder = new TextEncoder()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Message {
  role: string
  content?: unknown
  tool_call_id?: string
}

/** Streams `deltas` as chat completion chunks, one every `delayMs`, then `finish` and `[DONE]`. */
function stream(model: string, deltas: object[], finish: string, delayMs: number): Response {
  const id = `chatcmpl-offline-${crypto.randomUUID()}`
  const base = {
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: `${model}-offline`,
  }
  const chunk = (delta: object, finish_reason: string | null = null) =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason }] })}\n\n`
  const frames = [
    chunk({ role: 'assistant', content: '' }),
    ...deltas.map((delta) => chunk(delta)),
    chunk({}, finish),
    'data: [DONE]\n\n',
  ]
  let next = 0
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next > 0) await sleep(delayMs)
      if (next === frames.length) return controller.close()
      controller.enqueue(encoder.encode(frames[next++]))
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } })
}

/** Answers one `POST /v1/chat/completions` request (streamed); `delayMs` between chunks. */
export async function offlineWeatherModel(request: Request, { delayMs = 60 } = {}): Promise<Response> {
  type Body = { model: string; messages: Message[]; tools?: Array<{ function: { name: string } }>; stream?: boolean }
  const body = (await request.clone().json()) as Body
  const last = body.messages.at(-1)
  const text = typeof last?.content === 'string' ? last.content : ''
  const city = /weather in ([\p{L} -]+)/iu.exec(text)?.[1]?.trim()
  const offered = body.tools?.some((tool) => tool.function.name === 'weather')
  if (body.stream && last?.role === 'user' && city && offered) {
    const id = `call_${crypto.randomUUID().slice(0, 8)}`
    const call = { index: 0, id, type: 'function', function: { name: 'weather', arguments: JSON.stringify({ city }) } }
    return stream(body.model, [{ tool_calls: [call] }], 'tool_calls', delayMs)
  }
  if (body.stream && last?.role === 'tool') {
    const words = `From the weather tool: ${String(last.content)}.`.split(/(?<= )/)
    return stream(
      body.model,
      words.map((content) => ({ content })),
      'stop',
      delayMs,
    )
  }
  return offlineChatCompletions(request, { delayMs })
}
