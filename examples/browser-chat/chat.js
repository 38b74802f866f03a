// A chat page without a framework: replies stream from the OpenAI SDK, the Stop button stops them, and each
// turn is logged as a tree: a `chain` for the turn, the model call (honeyhive-edge/openai) as its child.
// Thumbs up and down under each reply send feedback on the turn. No key is in the page: serve.mjs adds the
// OpenAI key (or answers from the offline model), mints each turn's feedback token, and its relay holds the
// HoneyHive key.
import OpenAI from 'openai'
import { createClient } from './honeyhive-edge.min.js'
import { trackOpenAI } from './honeyhive-edge/openai.js'

const hh = createClient({
  // The relay on this origin: pages post without a key; its upstream is HoneyHive's v1 route, which keeps trees.
  baseUrl: location.origin,
  project: 'browser-chat',
  source: 'dev',
  sessionId: crypto.randomUUID(),
  onError: (error) => show(`${error.name}: ${error.message}`),
})
// The server holds the real key; the SDK insists on one, so the page sends a placeholder.
const openai = new OpenAI({
  apiKey: 'held-by-the-server',
  baseURL: `${location.origin}/v1`,
  dangerouslyAllowBrowser: true,
  maxRetries: 0,
})
const messages = []
const $ = (selector) => document.querySelector(selector)
const show = (text) => ($('#status').textContent = text)
const stop = $('#stop')
let stream

function line(role, content = '') {
  const element = document.createElement('p')
  element.className = role
  element.textContent = content
  $('#log').append(element)
  return element
}

/** The server's id for the next turn and a token that lets this page send feedback on it (and on nothing else). */
async function newTurn() {
  const answer = await fetch('/api/turn', { method: 'POST' })
  if (!answer.ok) throw new Error(`/api/turn answered ${answer.status}`)
  return answer.json()
}

/** Thumbs up (rating 1) and down (rating 0) under a reply; a second click changes the rating. */
function thumbs(reply, eventId, token) {
  const row = document.createElement('div')
  row.className = 'feedback'
  for (const [name, label, rating] of [
    ['up', '👍', 1],
    ['down', '👎', 0],
  ]) {
    const button = document.createElement('button')
    button.type = 'button'
    button.className = `thumb ${name}`
    button.textContent = label
    button.title = name === 'up' ? 'Good reply' : 'Bad reply'
    button.setAttribute('aria-pressed', 'false')
    button.addEventListener('click', () => {
      for (const other of row.children) other.setAttribute('aria-pressed', String(other === button))
      // Merged into the turn if it is still queued here; otherwise an update through the relay, with the token.
      hh.feedback(eventId, { rating }, { token })
      show(`feedback sent: ${label}`)
    })
    row.append(button)
  }
  reply.after(row)
}

stop.addEventListener('click', () => stream?.controller.abort())

$('#chat').addEventListener('submit', async (event) => {
  event.preventDefault()
  const input = $('#message')
  messages.push({ role: 'user', content: input.value })
  line('user', input.value)
  input.value = ''
  const reply = line('assistant')
  const params = {
    model: 'gpt-4o-mini',
    messages: [...messages],
    stream: true,
    stream_options: { include_usage: true },
  }
  stop.disabled = false
  let turn
  try {
    const { eventId, token } = await newTurn()
    turn = hh.startChain({ event_id: eventId, event_name: 'chat turn', inputs: { chat_history: [...messages] } })
    // The turn stands for the client: the model call is logged as its child.
    stream = await trackOpenAI(turn, params, openai.chat.completions.create(params))
    for await (const chunk of stream) reply.textContent += chunk.choices[0]?.delta.content ?? ''
    const stopped = stream.controller.signal.aborted
    reply.classList.add(stopped ? 'stopped' : 'done')
    const status = stopped ? 'cancelled' : 'success'
    turn.end({ outputs: { role: 'assistant', content: reply.textContent }, metadata: { status } })
    thumbs(reply, eventId, token)
  } catch (error) {
    reply.classList.add('failed')
    turn?.fail(error)
    show(`${error.name}: ${error.message}`)
  }
  stop.disabled = true
  messages.push({ role: 'assistant', content: reply.textContent })
  const queued = hh.stats().queued
  if (!reply.classList.contains('failed'))
    show(`logged this turn (${queued} queued; sent within 2 s, or when you close the tab)`)
})
