// Logs one model call from Deno and flushes it before the script ends.
//   npm run build
//   cd examples/deno && HH_API_KEY=... deno run --allow-net --allow-env --allow-read main.ts
// In your project, import the same file from where you host it (or `npm:honeyhive-edge`).
// @ts-types="../../dist/index.d.ts"
import { createClient } from '../../dist/honeyhive-edge.min.js'

const hh = createClient({
  apiKey: Deno.env.get('HH_API_KEY'),
  baseUrl: Deno.env.get('HH_BASE_URL') || undefined,
  project: 'deno-example',
  source: 'dev',
  onError: (error) => console.error(`honeyhive: ${error.message}`),
})

const messages = [{ role: 'user', content: 'What is the capital of France?' }]
const span = hh.startModelEvent({ event_name: 'answer', model: 'gpt-4o-mini', provider: 'openai', messages })
// ...call your model here...
span.end({
  response: { role: 'assistant', content: 'Paris.' },
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
})
hh.log({
  event_name: 'follow-up',
  model: 'gpt-4o-mini',
  provider: 'openai',
  messages,
  response: { role: 'assistant', content: 'Anything else?' },
})

// shutdown() flushes, then stops the client's timer, so the script exits as soon as delivery is done.
const result = await hh.shutdown()
console.log(`sent ${result.sent} events, ${result.failed} failed, ${result.dropped} dropped`)
if (result.sent === 0 || result.failed > 0) Deno.exit(1)
