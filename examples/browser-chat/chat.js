// A chat page without a framework: one model event per exchange, sent through honeyhive-edge's bundle.
// Served by serve.mjs, the page posts to the fake HoneyHive on its own origin (no apiKey in a browser:
// in production, point baseUrl at your relay).
import { createClient } from './honeyhive-edge.min.js'

const hh = createClient({
  baseUrl: location.origin,
  project: 'browser-chat',
  source: 'dev',
  sessionId: crypto.randomUUID(),
  onError: (error) => show(`${error.name}: ${error.message}`),
})
const messages = []
const log = document.querySelector('#log')
const show = (text) => (document.querySelector('#status').textContent = text)

function say(role, content) {
  const line = document.createElement('p')
  line.className = role
  line.textContent = content
  log.append(line)
  messages.push({ role, content })
}

/** Stands in for a model call: answers the message backwards after a short wait. */
const answer = (text) => new Promise((resolve) => setTimeout(() => resolve([...text].reverse().join('')), 200))

document.querySelector('#chat').addEventListener('submit', async (event) => {
  event.preventDefault()
  const input = document.querySelector('#message')
  say('user', input.value)
  input.value = ''
  const span = hh.startModelEvent({ model: 'echo-backwards', provider: 'local', messages: [...messages] })
  const content = await answer(messages.at(-1).content)
  say('assistant', content)
  span.end({ response: { role: 'assistant', content } })
  show(`logged event ${span.event_id} (${hh.stats().queued} queued)`)
})
