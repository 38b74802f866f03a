// Runs in Deno against the built entries (dist/ai-sdk.js, dist/honeyhive-edge.min.js) and the real `ai` 7 and
// @ai-sdk/openai from node_modules: two concurrent two-step runs with a tool, logged by honeyhiveTelemetry on
// the v1 route; test/deno/providers.test.ts scripted the fake provider and checks the trees in Node.
import { createOpenAI } from '@ai-sdk/openai'
import { jsonSchema, stepCountIs, streamText, tool } from 'ai'
// @ts-types="../../../dist/ai-sdk.d.ts"
import { honeyhiveTelemetry } from '../../../dist/ai-sdk.js'
// @ts-types="../../../dist/index.d.ts"
import { createClient } from '../../../dist/honeyhive-edge.min.js'

const hh = createClient({
  apiKey: 'hh-deno-tree',
  route: '/v1/events/batch',
  baseUrl: Deno.env.get('HH_TEST_URL')!,
  sessionId: Deno.env.get('HH_TEST_SESSION')!,
})
const openai = createOpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${Deno.env.get('PROVIDER_URL')!}/v1` })
const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
  execute: ({ city }) => Promise.resolve(`sunny in ${city}`),
})
const telemetry = { functionId: 'deno-turn', integrations: [honeyhiveTelemetry(hh)] }

Deno.test('two concurrent streamText runs with a tool are logged as two separate trees', async () => {
  const ask = (model: string, city: string) =>
    streamText({
      model: openai.chat(model),
      prompt: `Weather in ${city}?`,
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
      telemetry,
    }).text
  const texts = await Promise.all([ask('gpt-deno-paris', 'Paris'), ask('gpt-deno-oslo', 'Oslo')])
  if (texts.join('|') !== 'Sunny in Paris|Snow in Oslo') throw new Error(`texts: ${texts.join('|')}`)
  await hh.shutdown()
})
