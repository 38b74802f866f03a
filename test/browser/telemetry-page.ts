// The page side of test/browser/telemetry.test.ts, bundled for Chromium with the real `ai` 7 and @ai-sdk/openai:
// streamText with a tool, logged by the built honeyhiveTelemetry to the page's own origin (the test's server).
import { createOpenAI } from '@ai-sdk/openai'
import { jsonSchema, stepCountIs, streamText, tool } from 'ai'
import { honeyhiveTelemetry } from '../../dist/ai-sdk.js'
import { createClient } from '../../dist/index.js'

const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
  execute: async ({ city }) => `sunny in ${city}`,
})

/** Runs one turn against the model `model`; stops it once the text reaches `stopAt`. Resolves the text seen. */
export async function turn(model: string, sessionId: string, stopAt?: string): Promise<string> {
  const hh = createClient({
    apiKey: 'hh-page-test',
    dangerouslyAllowBrowser: true,
    baseUrl: location.origin,
    route: '/v1/events/batch',
    sessionId,
  })
  const openai = createOpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${location.origin}/v1` })
  const stop = new AbortController()
  const result = streamText({
    model: openai.chat(model),
    prompt: 'Weather in Paris?',
    tools: { weather },
    stopWhen: stepCountIs(3),
    abortSignal: stop.signal,
    maxRetries: 0,
    telemetry: { functionId: 'page-turn', integrations: [honeyhiveTelemetry(hh)] },
  })
  let text = ''
  for await (const delta of result.textStream) if ((text += delta) === stopAt) stop.abort()
  await hh.shutdown()
  return text
}
