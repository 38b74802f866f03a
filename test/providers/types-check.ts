// Type-checked by `tsc --noEmit` (tsconfig includes test/), never run: the integrations fit the real SDKs' types.
import { createOpenAI } from '@ai-sdk/openai'
import Anthropic from '@anthropic-ai/sdk'
import { registerTelemetry, streamText, wrapLanguageModel, type Telemetry } from 'ai'
import OpenAI from 'openai'
import { createClient } from '../../src/index.js'
import { honeyhiveMiddleware, honeyhiveTelemetry } from '../../src/providers/ai-sdk.js'
import { wrapAnthropic } from '../../src/providers/anthropic.js'
import { wrapOpenAI } from '../../src/providers/openai.js'

export function aiSdk() {
  const hh = createClient({ apiKey: 'hh_key', route: '/v1/events/batch' })
  const turn = hh.startChain({ event_name: 'turn' })
  // The telemetry integration is an AI SDK `Telemetry`, per call or registered; a span may stand for the client.
  const integration: Telemetry = honeyhiveTelemetry(hh)
  registerTelemetry(honeyhiveTelemetry(turn, { metadata: { app: 'chat' } }))
  const model = wrapLanguageModel({
    model: createOpenAI({ apiKey: 'key' }).chat('gpt-4o'),
    middleware: honeyhiveMiddleware(turn),
  })
  streamText({
    model,
    prompt: 'Hi',
    telemetry: { functionId: 'chat', integrations: [integration, honeyhiveTelemetry(hh)] },
  })
  // @ts-expect-error a model event span cannot start a chain
  honeyhiveTelemetry(hh.startModelEvent())
}

export async function wrappedClients() {
  const hh = createClient({ apiKey: 'hh_key', route: '/v1/events/batch' })
  const turn = hh.startChain()
  // The wrapped client is the SDK's own type: results, streams and helpers keep theirs.
  const openai: OpenAI = wrapOpenAI(new OpenAI({ apiKey: 'key' }), turn)
  const reply: OpenAI.ChatCompletion = await openai.chat.completions.create({ model: 'gpt-4o', messages: [] })
  const stream: AsyncIterable<OpenAI.ChatCompletionChunk> = await openai.chat.completions.create({
    model: 'gpt-4o',
    messages: [],
    stream: true,
  })
  const { data } = await openai.chat.completions.create({ model: 'gpt-4o', messages: [] }).withResponse()
  const anthropic: Anthropic = wrapAnthropic(new Anthropic({ apiKey: 'key' }), hh, { metadata: { app: 'chat' } })
  const message: Anthropic.Message = await anthropic.messages.create({ model: 'claude', max_tokens: 1, messages: [] })
  anthropic.messages.stream({ model: 'claude', max_tokens: 1, messages: [] }).on('text', (text: string) => text)
  // @ts-expect-error the SDK's own parameter types still apply (messages is required)
  openai.chat.completions.create({ model: 'gpt-4o' })
  return [reply, stream, data, message]
}
