// An edge chat endpoint: streams a reply through the Vercel AI SDK and logs the model call to HoneyHive
// with honeyhive-edge/ai-sdk, delivering the event with ctx.waitUntil after the response has started.
// In your project: `import { createClient } from 'honeyhive-edge'` and `from 'honeyhive-edge/ai-sdk'`.
import { createOpenAI } from '@ai-sdk/openai'
import { streamText, wrapLanguageModel, type ModelMessage } from 'ai'
import { honeyhiveMiddleware } from '../../dist/ai-sdk.js'
import { createClient } from '../../dist/index.js'
import { offlineChatCompletions } from '../offline-model.js'

/** Bindings: keys as secrets (`wrangler secret put HH_API_KEY`, `OPENAI_API_KEY`), the rest as vars. */
export interface Env {
  HH_API_KEY: string
  HH_BASE_URL?: string
  /** Without it (and without OPENAI_BASE_URL) the Worker answers from the offline model. */
  OPENAI_API_KEY?: string
  /** An OpenAI-compatible API, e.g. `https://api.openai.com/v1` (the default when a key is set). */
  OPENAI_BASE_URL?: string
  /** @default 'gpt-4o-mini' */
  MODEL?: string
}

interface Ctx {
  waitUntil(promise: Promise<unknown>): void
}

/** The request body: the conversation so far, and its id (a UUID) as the HoneyHive session. */
export interface ChatRequest {
  messages: ModelMessage[]
  sessionId?: string
}

export default {
  async fetch(request: Request, env: Env, ctx: Ctx): Promise<Response> {
    if (request.method !== 'POST') return new Response('POST { messages, sessionId? }', { status: 405 })
    const { messages, sessionId } = (await request.json()) as ChatRequest
    // One client per request, not at module scope: Workers forbid I/O and timers there, and a promise
    // started in one request must not be awaited in another (field notes §3).
    const hh = createClient({ apiKey: env.HH_API_KEY, baseUrl: env.HH_BASE_URL || undefined, project: 'edge-chat', source: 'production', sessionId })
    const online = Boolean(env.OPENAI_API_KEY || env.OPENAI_BASE_URL)
    const openai = createOpenAI({
      apiKey: env.OPENAI_API_KEY || 'offline',
      baseURL: env.OPENAI_BASE_URL || undefined,
      fetch: online ? undefined : (input, init) => offlineChatCompletions(new Request(input, init)),
    })
    const model = wrapLanguageModel({ model: openai.chat(env.MODEL || 'gpt-4o-mini'), middleware: honeyhiveMiddleware(hh) })
    const result = streamText({ model, system: 'You are a helpful assistant. Be brief.', messages, abortSignal: request.signal, maxRetries: 1 })
    // The middleware logs the call when it settles (its end, its error, or the client going away);
    // deliver the event then, after the response: the Worker is kept alive for it, about 30 s at most, so
    // the flush is bounded to fit.
    const flush = () => hh.flush({ timeoutMs: 25_000 })
    ctx.waitUntil(Promise.resolve(result.text).then(flush, flush))
    return result.toTextStreamResponse()
  },
}
