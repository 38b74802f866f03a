// Type-checked by `tsc --noEmit` (tsconfig includes test/), never run: the integrations fit the real SDKs' types.
import { createOpenAI } from '@ai-sdk/openai'
import { registerTelemetry, streamText, wrapLanguageModel, type Telemetry } from 'ai'
import { createClient } from '../../src/index.js'
import { honeyhiveMiddleware, honeyhiveTelemetry } from '../../src/providers/ai-sdk.js'

export function aiSdk() {
  const hh = createClient({ apiKey: 'hh_key', route: '/v1/events/batch' })
  const turn = hh.startChain({ event_name: 'turn' })
  // The telemetry integration is an AI SDK `Telemetry`, per call or registered; a span may stand for the client.
  const integration: Telemetry = honeyhiveTelemetry(hh)
  registerTelemetry(honeyhiveTelemetry(turn, { metadata: { app: 'chat' } }))
  const model = wrapLanguageModel({ model: createOpenAI({ apiKey: 'key' }).chat('gpt-4o'), middleware: honeyhiveMiddleware(turn) })
  streamText({ model, prompt: 'Hi', telemetry: { functionId: 'chat', integrations: [integration, honeyhiveTelemetry(hh)] } })
  // @ts-expect-error a model event span cannot start a chain
  honeyhiveTelemetry(hh.startModelEvent())
}
