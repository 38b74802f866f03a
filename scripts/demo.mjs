// npm run demo: a small chat session sent through honeyhive-edge.
// Without HH_API_KEY it runs against the embedded fake HoneyHive on a free loopback port, scripted to
// answer the first batch with 429 + Retry-After, and prints what the server received.
// With HH_API_KEY (and optionally HH_BASE_URL, HH_PROJECT) it sends the same session to that HoneyHive.
// `npm run demo -- --route /v1/events/batch` (or HH_ROUTE) runs it on HoneyHive's current route and prints
// where each field landed.
import { createClient } from '../dist/index.js'
import { serve } from '../dist/node.js'
import { createFakeHoneyHive } from '../dist/testing.js'

const real = Boolean(process.env.HH_API_KEY)
const flag = process.argv.indexOf('--route')
const route = (flag > 0 ? process.argv[flag + 1] : process.env.HH_ROUTE) || '/events/model/batch'
const started = Date.now()
const at = () => `+${String(Date.now() - started).padStart(5)} ms`
const short = (id) => `${id.slice(0, 8)}…`

let honeyhive
let server
if (!real) {
  honeyhive = createFakeHoneyHive({ apiKey: 'demo-key' })
  honeyhive.fail({ status: 429, retryAfter: 1 })
  server = await serve(honeyhive)
}
const baseUrl = real ? process.env.HH_BASE_URL : server.url
console.log(real ? `honeyhive-edge demo → ${baseUrl ?? 'https://api.honeyhive.ai'}${route} (HH_API_KEY set)` : `honeyhive-edge demo → fake HoneyHive at ${baseUrl}${route} (set HH_API_KEY to use a real one)`)

const sessionId = crypto.randomUUID()
const hh = createClient({
  apiKey: real ? process.env.HH_API_KEY : 'demo-key',
  baseUrl,
  route,
  project: process.env.HH_PROJECT ?? 'honeyhive-edge-demo',
  source: 'dev',
  sessionId,
  flushAt: 3,
  onError: (error) => console.log(`${at()}  onError ${error.name}: ${error.message} (${error.eventIds.length} events)`),
})
console.log(`session ${sessionId}\n`)

// A fake model: answers after a short wait, and fails on the word "crash".
async function callModel(messages) {
  await new Promise((resolve) => setTimeout(resolve, 20))
  const question = messages.at(-1).content
  if (question.includes('crash')) throw new Error('provider returned 503: model overloaded')
  return { role: 'assistant', content: `You said: ${question}` }
}

const messages = [{ role: 'system', content: 'You are a helpful assistant.' }]
for (const question of ['Hello!', 'What is HoneyHive?', 'Tell me a joke', 'Please crash', 'Thanks, bye']) {
  messages.push({ role: 'user', content: question })
  const span = hh.startModelEvent({ event_name: 'chat', model: 'demo-model', provider: 'demo', messages: [...messages] })
  try {
    const reply = await callModel(messages)
    messages.push(reply)
    span.end({ response: reply, usage: { prompt_tokens: messages.length * 10, completion_tokens: 8 } })
    console.log(`${at()}  log  ${short(span.event_id)}  "${question}" → "${reply.content}"`)
  } catch (error) {
    span.fail(error)
    console.log(`${at()}  fail ${short(span.event_id)}  "${question}" → ${error.message}`)
  }
}

const result = await hh.flush()
console.log(`\n${at()}  flush() → ${JSON.stringify(result)}`)
console.log(`${at()}  stats() → ${JSON.stringify(hh.stats())}`)

if (honeyhive) {
  console.log('\nWhat the fake HoneyHive received:')
  for (const [index, request] of honeyhive.requests.entries()) {
    const events = request.body.model_events ?? request.body.events ?? []
    const retryAfter = request.status === 429 ? ' (Retry-After: 1 s, scripted)' : ''
    console.log(`  #${index + 1} +${String(request.at - started).padStart(5)} ms  ${request.method} ${request.path}  ${events.length} events → ${request.status}${retryAfter}`)
    for (const event of events) {
      console.log(`       ${event.event_id}  ${event.error ? `error: ${event.error}` : `${Math.round(event.duration)} ms`}`)
    }
  }
  const unique = new Set(honeyhive.events.map((event) => event.event_id))
  console.log(`\nStored ${honeyhive.events.length} events (${unique.size} unique ids), session ${sessionId}.`)
  if (route === '/v1/events/batch') {
    // Where HoneyHive renders each field: config.*, inputs.chat_history, outputs.role/content, metadata.*.
    console.log(`\nWhere the first event's fields landed on ${route}:`)
    const show = (value) => (Array.isArray(value) ? `[${value.length} items]` : JSON.stringify(value))
    for (const [key, value] of Object.entries(honeyhive.events[0])) {
      if (value && typeof value === 'object' && !Array.isArray(value)) for (const [inner, item] of Object.entries(value)) console.log(`  ${key}.${inner} = ${show(item)}`)
      else console.log(`  ${key} = ${show(value)}`)
    }
  }
}
await hh.shutdown()
await server?.close()
