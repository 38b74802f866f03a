// npm run demo: a small chat session sent through honeyhive-edge.
// Without HH_API_KEY it runs against the embedded fake HoneyHive on a free loopback port, scripted to
// answer the first batch with 429 + Retry-After, and prints what the server received.
// With HH_API_KEY (and optionally HH_BASE_URL, HH_PROJECT) it sends the same session to that HoneyHive.
// `npm run demo -- --route /v1/events/batch` (or HH_ROUTE) runs it on HoneyHive's current route and prints
// where each field landed; there it adds a chat turn with a tool call, logged as a tree (a chain, the two model
// calls and the tool under it), and prints the session as that tree. The fake is the inspector of
// `honeyhive-edge dev`: the demo prints its session as a text timeline, and with `--inspect` keeps serving
// the inspector's page, open on that session, until Ctrl-C.
import { createClient } from '../dist/index.js'
import { startInspector } from '../dist/inspector.js'

const real = Boolean(process.env.HH_API_KEY)
const flag = process.argv.indexOf('--route')
const route = (flag > 0 ? process.argv[flag + 1] : process.env.HH_ROUTE) || '/events/model/batch'
// Chains and tools need HoneyHive's v1 route: the seed's carries model events only.
const v1 = route === '/v1/events/batch'
const inspect = process.argv.includes('--inspect')
const started = Date.now()
const at = () => `+${String(Date.now() - started).padStart(5)} ms`
const short = (id) => `${id.slice(0, 8)}…`

let server
if (!real) {
  server = await startInspector({ port: 0, apiKey: 'demo-key' })
  server.inspector.fail({ kind: '429', retryAfter: 1 })
} else if (inspect) {
  console.log('--inspect shows the embedded fake HoneyHive only: unset HH_API_KEY to use it')
}
const inspector = server?.inspector
const baseUrl = real ? process.env.HH_BASE_URL : server.baseUrl
console.log(
  real
    ? `honeyhive-edge demo → ${baseUrl ?? 'https://api.honeyhive.ai'}${route} (HH_API_KEY set)`
    : `honeyhive-edge demo → fake HoneyHive at ${baseUrl}${route} (set HH_API_KEY to use a real one)`,
)

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

// A fake model: streams its answer after a short wait, and fails on the word "crash" before any token.
async function callModel(messages, onFirstToken) {
  await new Promise((resolve) => setTimeout(resolve, 12))
  const question = messages.at(-1).content
  if (question.includes('crash')) throw new Error('provider returned 503: model overloaded')
  onFirstToken()
  await new Promise((resolve) => setTimeout(resolve, 8 + question.length))
  return { role: 'assistant', content: `You said: ${question}` }
}

const messages = [{ role: 'system', content: 'You are a helpful assistant.' }]
for (const question of ['Hello!', 'What is HoneyHive?', 'Tell me a joke', 'Please crash', 'Thanks, bye']) {
  messages.push({ role: 'user', content: question })
  const span = hh.startModelEvent({
    event_name: 'chat',
    model: 'demo-model',
    provider: 'demo',
    messages: [...messages],
  })
  try {
    const reply = await callModel(messages, span.firstToken)
    messages.push(reply)
    span.end({ response: reply, usage: { prompt_tokens: messages.length * 10, completion_tokens: 8 } })
    console.log(`${at()}  log  ${short(span.event_id)}  "${question}" → "${reply.content}"`)
  } catch (error) {
    span.fail(error)
    console.log(`${at()}  fail ${short(span.event_id)}  "${question}" → ${error.message}`)
  }
}

if (v1) await toolTurn('What is the weather in Paris?')

/**
 * A turn with a tool call, as a tree: the turn is a chain; under it the model asks for a tool, the tool runs
 * (`turn.tool`: one tool event with its input and output), and the model answers with the tool's result.
 */
async function toolTurn(question) {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  const parameters = { type: 'object', properties: { city: { type: 'string' } } }
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters } }]
  const model = { event_name: 'chat', model: 'demo-model', provider: 'demo', tools }
  const history = [...messages, { role: 'user', content: question }]
  const turn = hh.startChain({ event_name: 'chat turn', inputs: { chat_history: [...history] } })
  const call = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }
  const asks = turn.startModelEvent({ ...model, messages: [...history] })
  await sleep(10)
  const usage = { prompt_tokens: 40, completion_tokens: 12 }
  asks.end({
    response: { role: 'assistant', content: null, tool_calls: [call] },
    usage,
    metadata: { finish_reason: 'tool_calls' },
  })
  const weather = await turn.tool('get_weather', { city: 'Paris' }, async ({ city }) => {
    await sleep(15)
    return { city, temperature_c: 18, sky: 'clear' }
  })
  history.push({ role: 'assistant', content: null, tool_calls: [call] })
  history.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(weather) })
  const answers = turn.startModelEvent({ ...model, messages: [...history] })
  await sleep(8)
  answers.firstToken()
  const reply = {
    role: 'assistant',
    content: `It is ${weather.temperature_c} °C and ${weather.sky} in ${weather.city}.`,
  }
  await sleep(10)
  answers.end({
    response: reply,
    usage: { prompt_tokens: 60, completion_tokens: 14 },
    metadata: { finish_reason: 'stop' },
  })
  turn.end({ outputs: reply })
  console.log(`${at()}  tree ${short(turn.event_id)}  "${question}" → get_weather → "${reply.content}"`)
}

const result = await hh.flush()
console.log(`\n${at()}  flush() → ${JSON.stringify(result)}`)
console.log(`${at()}  stats() → ${JSON.stringify(hh.stats())}`)

if (inspector) {
  // The inspector's record: each request with the events it carried (their attempts name it).
  const events = inspector.events(sessionId)
  console.log('\nWhat the fake HoneyHive received:')
  for (const [index, request] of inspector.requests().entries()) {
    const carried = events.filter((event) => event.attempts.some((attempt) => attempt.request === request.id))
    const retryAfter = request.status === 429 ? ' (Retry-After: 1 s, scripted)' : ''
    console.log(
      `  #${index + 1} +${String(request.at - started).padStart(5)} ms  ${request.method} ${request.path}  ${carried.length} events → ${request.status}${retryAfter}`,
    )
    for (const event of carried) {
      console.log(
        `       ${event.event_id}  ${event.error ? `error: ${event.error}` : `${Math.round(event.end - event.start)} ms`}`,
      )
    }
  }
  const stored = events.reduce((sum, event) => sum + event.stored, 0)
  console.log(
    `\nStored ${stored} events (${events.filter((event) => event.stored > 0).length} unique ids), session ${sessionId}.`,
  )
  printTimeline(
    inspector.sessions().find((session) => session.session_id === sessionId),
    events,
  )
  if (v1) printTree(events.map((event) => inspector.event(event.event_id).received))
  else
    console.log(
      '\n`npm run demo -- --route /v1/events/batch` adds a turn with a tool call, logged and printed as a tree.',
    )
  if (v1) {
    // Where HoneyHive renders each field: config.*, inputs.chat_history, outputs.role/content, metadata.*.
    console.log(`\nWhere the first event's fields landed on ${route}:`)
    const show = (value) => (Array.isArray(value) ? `[${value.length} items]` : JSON.stringify(value))
    for (const [key, value] of Object.entries(inspector.event(events[0].event_id).received)) {
      if (value && typeof value === 'object' && !Array.isArray(value))
        for (const [inner, item] of Object.entries(value)) console.log(`  ${key}.${inner} = ${show(item)}`)
      else console.log(`  ${key} = ${show(value)}`)
    }
  }
}

/** The session as text: one bar per model event on the session's time span, ┃ at the first token. */
function printTimeline(session, events) {
  const width = 40
  const from = Math.min(...events.map((event) => event.start))
  const span = Math.max(1, Math.max(...events.map((event) => event.end)) - from)
  const column = (ms) => Math.min(width - 1, Math.floor(((ms - from) / span) * width))
  const marks = { success: '█', error: '▒', cancelled: '░' }
  const nameWidth = Math.max(6, ...events.map((event) => (event.event_name ?? 'event').length))
  const facts = [
    `${session.events} events`,
    `${session.errors} error${session.errors === 1 ? '' : 's'}`,
    `${session.tokens ?? 0} tokens`,
    `${Math.round(session.durationMs)} ms total`,
    `${session.retried} retried`,
  ]
  console.log(`\nTimeline of session ${sessionId}: ${facts.join(', ')}`)
  for (const event of events) {
    const first = column(event.start)
    const bar = [...' '.repeat(width)]
    for (let i = first; i <= Math.max(first, column(event.end) - 1); i++) bar[i] = marks[event.status]
    if (event.ttft !== undefined) bar[column(event.start + event.ttft)] = '┃'
    const failed = event.attempts.filter((attempt) => !attempt.stored)
    const notes = [
      event.status,
      ...(failed.length
        ? [`↻ after ${failed.map((attempt) => `#${attempt.request} ${attempt.status}`).join(', ')}`]
        : []),
      ...(event.ttft !== undefined ? [`first token ${Math.round(event.ttft)} ms`] : []),
    ]
    console.log(
      `  ${(event.event_name ?? 'event').padEnd(nameWidth)} │${bar.join('')}│ ${String(Math.round(event.end - event.start)).padStart(4)} ms  ${notes.join(', ')}`,
    )
  }
}
/**
 * The session as HoneyHive's tree (built from `parent_id`, siblings by `start_time`, as its UI does): each
 * event's type, name, duration and what it said.
 */
function printTree(received) {
  const byParent = new Map()
  const ids = new Set(received.map((event) => event.event_id))
  for (const event of [...received].sort((a, b) => a.start_time - b.start_time)) {
    const parent = ids.has(event.parent_id) ? event.parent_id : sessionId
    byParent.set(parent, [...(byParent.get(parent) ?? []), event])
  }
  const said = (event) => {
    if (event.error) return `error: ${event.error}`
    const calls = event.outputs?.tool_calls?.map((call) => `${call.function.name}(${call.function.arguments})`)
    if (calls) return `→ ${calls.join(', ')}`
    if (event.event_type === 'tool') return `${JSON.stringify(event.inputs)} → ${JSON.stringify(event.outputs)}`
    return `→ "${event.outputs?.content}"`
  }
  console.log(`\nSession ${sessionId} as a tree (parent_id links; HoneyHive renders it so on ${route}):`)
  console.log(`  session`)
  const walk = (parent, indent) => {
    const children = byParent.get(parent) ?? []
    children.forEach((event, index) => {
      const last = index === children.length - 1
      // Names padded so that durations line up whatever the depth.
      const name = (event.event_name ?? '').padEnd(Math.max(1, 16 - indent.length))
      const label = `${event.event_type.padEnd(5)} ${name} ${String(Math.round(event.duration)).padStart(4)} ms`
      console.log(`  ${indent}${last ? '└─' : '├─'} ${label}  ${said(event)}`)
      walk(event.event_id, `${indent}${last ? '   ' : '│  '}`)
    })
  }
  walk(sessionId, '')
}
await hh.shutdown()
if (server && inspect) {
  console.log(
    `\nInspect this session: ${server.url}#session=${sessionId}\nThe inspector keeps serving (both routes, the page, the fault buttons); Ctrl-C to stop.`,
  )
  const stop = () => void server.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
} else await server?.close()
