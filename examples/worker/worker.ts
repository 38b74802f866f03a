// A Worker that answers a chat message with a model call and logs that call to HoneyHive.
// In your project: `import { createClient } from 'honeyhive-edge'`.
import { createClient } from '../../dist/index.js'

/** Bindings: the key as a secret (`wrangler secret put HH_API_KEY`), the model endpoint as a var. */
export interface Env {
  HH_API_KEY: string
  HH_BASE_URL?: string
  /** An OpenAI-compatible chat completions URL. */
  MODEL_URL: string
  /** Secret, optional: sent to MODEL_URL as a Bearer token. */
  MODEL_API_KEY?: string
}

interface Ctx {
  waitUntil(promise: Promise<unknown>): void
}

export default {
  async fetch(request: Request, env: Env, ctx: Ctx): Promise<Response> {
    // One client per request, created here and not at module scope: Workers forbid I/O and timers there,
    // and a promise started in one request must not be awaited in another (field notes §3).
    const hh = createClient({ apiKey: env.HH_API_KEY, baseUrl: env.HH_BASE_URL || undefined, project: 'edge-chat', source: 'production' })
    const { message } = (await request.json()) as { message: string }
    const messages = [{ role: 'user', content: message }]
    const span = hh.startModelEvent({ event_name: 'chat', model: 'gpt-4o-mini', provider: 'openai', messages })
    let reply = ''
    try {
      const response = await fetch(env.MODEL_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(env.MODEL_API_KEY ? { authorization: `Bearer ${env.MODEL_API_KEY}` } : {}) },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
      })
      if (!response.ok) throw new Error(`model endpoint answered ${response.status}`)
      const body = (await response.json()) as { choices: Array<{ message: { content: string } }>; usage: Record<string, number> }
      reply = body.choices[0].message.content
      span.end({ response: body.choices[0].message, usage: body.usage })
    } catch (error) {
      span.fail(error)
    }
    // Deliver after the response: the Worker answers at once, the batch goes out within waitUntil.
    ctx.waitUntil(hh.flush())
    return Response.json({ reply, event_id: span.event_id })
  },
}
