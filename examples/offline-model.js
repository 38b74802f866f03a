// The examples' stand-in for OpenAI when no key is set: an OpenAI-compatible chat completions endpoint,
// as a fetch handler, that streams the last user message back word by word in OpenAI's SSE framing.
// Used by examples/worker (as the AI SDK provider's `fetch`) and examples/browser-chat (its /v1 route).

const encoder = new TextEncoder()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Answers one `POST /v1/chat/completions` request. Streamed when the request says `stream: true`, a
 * chunk every `delayMs`; usage only when `stream_options.include_usage` asks for it, as OpenAI does.
 * @param {Request} request
 * @param {{ delayMs?: number }} [options]
 * @returns {Promise<Response>}
 */
export async function offlineChatCompletions(request, { delayMs = 60 } = {}) {
  const body = await request.json()
  const last = [...(body.messages ?? [])].reverse().find((message) => message.role === 'user')
  const said =
    typeof last?.content === 'string' ? last.content : (last?.content?.map?.((part) => part.text ?? '').join('') ?? '')
  const words = `You said: ${said}. This reply comes from the offline model; set OPENAI_API_KEY for a real one.`.split(
    /(?<= )/,
  )
  const usage = {
    prompt_tokens: said.split(/\s+/).length + 8,
    completion_tokens: words.length,
    total_tokens: said.split(/\s+/).length + 8 + words.length,
  }
  const base = {
    id: `chatcmpl-offline-${crypto.randomUUID()}`,
    created: Math.floor(Date.now() / 1000),
    model: `${body.model}-offline`,
  }
  if (!body.stream) {
    const message = { role: 'assistant', content: words.join(''), refusal: null }
    return Response.json({
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message, finish_reason: 'stop', logprobs: null }],
      usage,
    })
  }
  const chunk = (delta, finish_reason = null) => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason, logprobs: null }],
  })
  const frames = [
    chunk({ role: 'assistant', content: '' }),
    ...words.map((content) => chunk({ content })),
    chunk({}, 'stop'),
  ]
  if (body.stream_options?.include_usage) frames.push({ ...base, object: 'chat.completion.chunk', choices: [], usage })
  let next = 0
  const stream = new ReadableStream({
    async pull(controller) {
      if (next > 0 && next < frames.length) await sleep(delayMs)
      if (next === frames.length) {
        controller.enqueue(encoder.encode('data: [DONE]\n\n'))
        return controller.close()
      }
      controller.enqueue(encoder.encode(`data: ${JSON.stringify(frames[next++])}\n\n`))
    },
  })
  return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } })
}
