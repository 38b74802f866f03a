// A chat page without a framework: replies stream from the OpenAI SDK, the Stop button stops them, and each
// turn is logged through honeyhive-edge/openai. No key is in the page: serve.mjs adds the OpenAI key (or
// answers from the offline model), and HoneyHive events go to the same origin (the fake, or the relay).
import OpenAI from 'openai'
import { createClient } from './honeyhive-edge.min.js'
import { trackOpenAI } from './honeyhive-edge/openai.js'

const hh = createClient({
  baseUrl: location.origin,
  project: 'browser-chat',
  source: 'dev',
  sessionId: crypto.randomUUID(),
  onError: (error) => show(`${error.name}: ${error.message}`),
})
// The server holds the real key; the SDK insists on one, so the page sends a placeholder.
const openai = new OpenAI({ apiKey: 'held-by-the-server', baseURL: `${location.origin}/v1`, dangerouslyAllowBrowser: true, maxRetries: 0 })
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

stop.addEventListener('click', () => stream?.controller.abort())

$('#chat').addEventListener('submit', async (event) => {
  event.preventDefault()
  const input = $('#message')
  messages.push({ role: 'user', content: input.value })
  line('user', input.value)
  input.value = ''
  const reply = line('assistant')
  const params = { model: 'gpt-4o-mini', messages: [...messages], stream: true, stream_options: { include_usage: true } }
  stop.disabled = false
  try {
    stream = await trackOpenAI(hh, params, openai.chat.completions.create(params))
    for await (const chunk of stream) reply.textContent += chunk.choices[0]?.delta.content ?? ''
    reply.classList.add(stream.controller.signal.aborted ? 'stopped' : 'done')
  } catch (error) {
    reply.classList.add('failed')
    show(`${error.name}: ${error.message}`)
  }
  stop.disabled = true
  messages.push({ role: 'assistant', content: reply.textContent })
  show(`logged this turn (${hh.stats().queued} queued; closing the tab sends them)`)
})
