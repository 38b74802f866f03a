// An edge chat endpoint: streams a reply through the Vercel AI SDK with one tool, and logs each turn to
// HoneyHive as a tree with honeyhive-edge/ai-sdk's honeyhiveTelemetry (a chain for the turn, its model calls
// and the tool under it), delivered with ctx.waitUntil after the response. A client that goes away mid-stream
// stops the model call and the turn is logged `cancelled` (wrangler.toml's `enable_request_signal` flag).
// In your project: `import { createClient } from 'honeyhive-edge'` and `from 'honeyhive-edge/ai-sdk'`.
import { createOpenAI } from '@ai-sdk/openai'
import { jsonSchema, stepCountIs, streamText, tool, type ModelMessage } from 'ai'
import { honeyhiveTelemetry } from '../../dist/ai-sdk.js'
import { createClient } from '../../dist/index.js'
import { offlineWeatherModel } from './offline-weather.js'

/** Bindings: keys as secrets (`wrangler secret put HH_API_KEY`, `OPENAI_API_KEY`), the rest as vars. */
export interface Env {
  /** Without it the events go to `HH_BASE_URL` with a placeholder key: the local inspector takes any. */
  HH_API_KEY?: string
  /** wrangler.toml points it at the local inspector (`npx honeyhive-edge dev`); empty: HoneyHive's API. */
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

/** The request body: the conversation so far, and its id as the HoneyHive session. */
export interface ChatRequest {
  messages: ModelMessage[]
  sessionId?: string
}

// Offline on purpose: a stand-in you would replace with a real weather API.
const weather = tool({
  description: 'The current weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
  execute: async ({ city }) => `sunny and 21 °C in ${city}`,
})

export default {
  async fetch(request: Request, env: Env, ctx: Ctx): Promise<Response> {
    if (request.method !== 'POST') return new Response('POST { messages, sessionId? }', { status: 405 })
    const { messages, sessionId } = (await request.json()) as ChatRequest
    // One client per request, not at module scope: Workers forbid I/O and timers there, and a promise
    // started in one request must not be awaited in another (field notes §3). The v1 route carries the tree.
    const hh = createClient({
      apiKey: env.HH_API_KEY || 'local-inspector',
      baseUrl: env.HH_BASE_URL || undefined,
      route: '/v1/events/batch',
      project: 'edge-chat',
      source: 'production',
      sessionId,
    })
    const online = Boolean(env.OPENAI_API_KEY || env.OPENAI_BASE_URL)
    const openai = createOpenAI({
      apiKey: env.OPENAI_API_KEY || 'offline',
      baseURL: env.OPENAI_BASE_URL || undefined,
      fetch: online ? undefined : (input, init) => offlineWeatherModel(new Request(input, init)),
    })
    const result = streamText({
      model: openai.chat(env.MODEL || 'gpt-4o-mini'),
      system: 'You are a helpful assistant. Be brief.',
      messages,
      tools: { weather },
      stopWhen: stepCountIs(3),
      // With `enable_request_signal`, the request's signal aborts when the client disconnects: the model
      // call stops, and the turn is logged `cancelled` with what it had done.
      abortSignal: request.signal,
      maxRetries: 1,
      telemetry: { functionId: 'edge-chat', integrations: [honeyhiveTelemetry(hh)] },
    })
    // The turn is logged once it settles (its end, its error, or the client going away); deliver it then,
    // after the response: the Worker is kept alive for it about 30 s at most, so the flush is bounded to fit.
    const flush = () => hh.flush({ timeoutMs: 25_000 })
    ctx.waitUntil(Promise.resolve(result.text).then(flush, flush))
    return result.toTextStreamResponse()
  },
}
