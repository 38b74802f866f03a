// An event's chat messages as a conversation: who said what, and which tools a reply called. Read where
// HoneyHive renders chat (`inputs.chat_history`, `outputs.role` / `content` / `tool_calls`; field notes §10),
// from the v1 view of a seed event. Every piece is set as text.
import { h } from './inspector-page-dom.js'

const fields = (value) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {})
const shortJson = (value) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text === undefined ? '' : text.length > 600 ? `${text.slice(0, 600)}…` : text
}

/** The tool calls of a message: OpenAI's `tool_calls` and Anthropic's `tool_use` parts, as `{ name, args, id }`. */
function toolCalls(message) {
  const calls = (Array.isArray(message.tool_calls) ? message.tool_calls : []).map((call) => ({
    name: fields(call.function).name ?? call.name ?? 'tool',
    args: fields(call.function).arguments ?? call.arguments ?? call.args ?? call.input,
    id: call.id,
  }))
  for (const part of Array.isArray(message.content) ? message.content : []) {
    if (fields(part).type === 'tool_use') calls.push({ name: part.name, args: part.input, id: part.id })
  }
  return calls
}

/** The text of a message's content: a string, or its parts (text as text, anything else named). */
function contentPieces(content) {
  if (typeof content === 'string') return [content]
  if (!Array.isArray(content)) return content === undefined || content === null ? [] : [shortJson(content)]
  return content
    .map((part) => {
      if (typeof part === 'string') return part
      const { type, text } = fields(part)
      if (typeof text === 'string') return text
      if (type === 'tool_use') return undefined
      if (type === 'tool_result') return `result: ${shortJson(part.content)}`
      return `[${type ?? 'part'}]`
    })
    .filter((piece) => piece !== undefined)
}

function bubble(message) {
  const role = typeof message.role === 'string' ? message.role : 'message'
  const calls = toolCalls(message)
  return h(
    'li',
    { class: `message role-${/^[a-z_]+$/.test(role) ? role : 'other'}`, 'data-role': role },
    h(
      'span',
      { class: 'role' },
      role,
      message.tool_call_id ? h('span', { class: 'call-id' }, ` · ${message.tool_call_id}`) : undefined,
    ),
    ...contentPieces(message.content).map((piece) => h('div', { class: 'text' }, piece)),
    calls.length > 0
      ? h(
          'ul',
          { class: 'calls' },
          ...calls.map((call) =>
            h(
              'li',
              { class: 'call' },
              h('b', {}, '⚙ ', String(call.name)),
              h('code', {}, `(${shortJson(call.args ?? '')})`),
            ),
          ),
        )
      : undefined,
  )
}

/** The conversation of an event (`view` is its v1 shape), or undefined when it carries no chat. */
export function conversation(view) {
  const inputs = fields(view.inputs)
  const outputs = fields(view.outputs)
  const messages = Array.isArray(inputs.chat_history) ? inputs.chat_history.map(fields) : []
  if (typeof outputs.role === 'string') messages.push(outputs)
  else if (typeof outputs.content === 'string' || typeof outputs.text === 'string')
    messages.push({ role: 'assistant', content: outputs.content ?? outputs.text })
  if (view.event_type === 'tool') {
    // A tool: its call and what it gave back (or how it failed), in the same words.
    const args = inputs.args ?? inputs.arguments ?? inputs
    const result = view.error ? `failed: ${view.error}` : shortJson(outputs.result ?? outputs)
    const call = h(
      'li',
      { class: 'message role-call', 'data-role': 'call' },
      h('span', { class: 'role' }, 'call'),
      h('div', { class: 'text' }, h('b', {}, view.event_name ?? 'tool'), h('code', {}, `(${shortJson(args)})`)),
    )
    const answer = h(
      'li',
      { class: `message role-tool${view.error ? ' failed' : ''}`, 'data-role': view.error ? 'error' : 'result' },
      h('span', { class: 'role' }, view.error ? 'error' : 'result'),
      h('div', { class: 'text' }, result),
    )
    return h(
      'div',
      { class: 'chat', id: 'conversation' },
      h('h4', {}, 'Tool call'),
      h('ol', { class: 'messages' }, call, answer),
    )
  }
  if (messages.length === 0) return undefined
  return h(
    'div',
    { class: 'chat', id: 'conversation' },
    h('h4', {}, `Conversation (${messages.length} message${messages.length === 1 ? '' : 's'})`),
    h('ol', { class: 'messages' }, ...messages.map(bubble)),
  )
}
