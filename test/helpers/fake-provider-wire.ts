// How the fake provider renders one scripted `Reply` in each API's wire format: the non-streamed result,
// the SSE frames the real parsers accept (field notes §9), and the API's mid-stream error frame.

/** One tool call the model makes: its arguments arrive as these fragments. */
export interface ToolCallScript {
  id: string
  name: string
  args: string[]
}

/** Token counts the fake reports. `input` includes cached input (rendered the way each API counts it). */
export interface UsageScript {
  input: number
  output: number
  cached?: number
  cacheWrite?: number
  reasoning?: number
}

/** What the model answers to one request. */
export interface Reply {
  /** Text deltas, one per chunk (joined for a non-streamed answer). */
  text?: string[]
  /** Refusal deltas (chat completions only). */
  refusal?: string[]
  /** Tool calls; streamed, their fragments interleave (chat, Responses) or follow each other (Anthropic). */
  toolCalls?: ToolCallScript[]
  /** Usage reported; `null` sends none. @default { input: 11, output: <number of deltas> } */
  usage?: UsageScript | null
  /** Anthropic: the cumulative `output_tokens` of successive `message_delta` events. @default [usage.output] */
  deltaUsage?: number[]
  /** The provider's own finish reason. @default stop / tool_calls, end_turn / tool_use, completed */
  finish?: string
  /** Answer this HTTP status with the API's error body instead. */
  status?: number
  /** The message of an error answer or of a mid-stream error. @default 'The server had an error' */
  errorMessage?: string
  /** Responses: end with `response.failed` (no mid-stream error event). */
  failed?: boolean
  /** Send the API's mid-stream error event after this many deltas, then end. */
  failAfter?: number
  /** Cut the connection after this many deltas. */
  cutAfter?: number
  /** Stop sending after this many deltas and wait (at most 10 s) for the client to go away. */
  holdAfter?: number
  /** Wait this long before each delta (before the answer, when not streamed). */
  delayMs?: number
  /** The model the answer names. @default `${requested}-2026-01-01` */
  model?: string
  /**
   * Chat completions: tool-call fragments without `index`, as Gemini's OpenAI-compatible API streams them:
   * one call after another, the first fragment of each with its `id`, the rest with neither `id` nor `index`.
   */
  noIndex?: boolean
}

/** One SSE frame; `delta` marks the frames that carry output (the ones faults count). */
export type Frame = { text: string; delta?: boolean }

const sse = (data: unknown, event?: string): Frame => ({
  text: `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`,
})
const words = (text: string) => text.split(/(?<= )/)
export const err = (reply: Reply) => reply.errorMessage ?? 'The server had an error'

/** The default answer: the last user message echoed word by word. */
export function echo(body: Record<string, any>): Reply {
  const last = (body.messages ?? (typeof body.input === 'string' ? [{ content: body.input }] : (body.input ?? []))).at(
    -1,
  )
  const content =
    typeof last?.content === 'string'
      ? last.content
      : (last?.content?.find?.((part: { text?: string }) => part.text)?.text ?? '')
  return { text: words(`echo: ${content}`) }
}

function usageOf(reply: Reply): UsageScript | undefined {
  if (reply.usage === null) return undefined
  return reply.usage ?? { input: 11, output: (reply.text?.length ?? 0) + (reply.toolCalls?.length ?? 0) }
}

/** Tool-call fragments in the order they stream: the first of each call, then the rest, interleaved. */
function fragments(calls: ToolCallScript[] = []) {
  const out: Array<{ index: number; call: ToolCallScript; part: string; first: boolean }> = []
  for (let i = 0; calls.some((call) => i < call.args.length); i++) {
    calls.forEach(
      (call, index) => i < call.args.length && out.push({ index, call, part: call.args[i], first: i === 0 }),
    )
  }
  return out
}

function chat(reply: Reply, body: Record<string, any>, n: number) {
  const usage = usageOf(reply)
  const wire = usage && {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    ...(usage.cached !== undefined && { prompt_tokens_details: { cached_tokens: usage.cached } }),
    ...(usage.reasoning !== undefined && { completion_tokens_details: { reasoning_tokens: usage.reasoning } }),
  }
  const base = { id: `chatcmpl-fake${n}`, created: 1_767_225_600, model: reply.model ?? `${body.model}-2026-01-01` }
  const finish = reply.finish ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop')
  const calls = reply.toolCalls?.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.args.join('') },
  }))
  const message = {
    role: 'assistant',
    content: reply.text?.join('') ?? null,
    refusal: reply.refusal?.join('') ?? null,
    ...(calls && { tool_calls: calls }),
  }
  const result = {
    ...base,
    object: 'chat.completion',
    choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
    ...(wire && { usage: wire }),
  }
  const withUsage = body.stream_options?.include_usage === true
  const chunk = (delta: object, finish_reason: string | null = null, more: object = {}): Frame =>
    sse({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, logprobs: null, finish_reason }],
      ...(withUsage && { usage: null }),
      ...more,
    })
  const frames: Frame[] = [chunk({ role: 'assistant', content: '', refusal: null })]
  for (const text of reply.text ?? []) frames.push({ ...chunk({ content: text }), delta: true })
  for (const text of reply.refusal ?? []) frames.push({ ...chunk({ refusal: text }), delta: true })
  const sequential = reply.toolCalls?.flatMap((call, index) =>
    call.args.map((part, at) => ({ index, call, part, first: at === 0 })),
  )
  for (const { index, call, part, first } of reply.noIndex ? sequential! : fragments(reply.toolCalls)) {
    const fragment = first
      ? { index, id: call.id, type: 'function', function: { name: call.name, arguments: part } }
      : { index, function: { arguments: part } }
    if (reply.noIndex) delete (fragment as { index?: number }).index
    frames.push({ ...chunk({ tool_calls: [fragment] }), delta: true })
  }
  frames.push(chunk({}, finish))
  if (withUsage && wire) frames.push(sse({ ...base, object: 'chat.completion.chunk', choices: [], usage: wire }))
  frames.push({ text: 'data: [DONE]\n\n' })
  return {
    result,
    frames,
    error: sse({ error: { message: err(reply), type: 'server_error', param: null, code: null } }),
  }
}

function responses(reply: Reply, body: Record<string, any>, n: number) {
  const usage = usageOf(reply)
  const text = reply.text?.join('')
  const message = {
    type: 'message',
    id: `msg_fake${n}`,
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [] }],
  }
  const item = (call: ToolCallScript, args: string) => ({
    type: 'function_call',
    id: `fc_${call.id}`,
    call_id: call.id,
    name: call.name,
    arguments: args,
    status: 'completed',
  })
  const incomplete = reply.finish && reply.finish !== 'completed'
  const response = (status: string, output: object[]) => ({
    id: `resp_fake${n}`,
    object: 'response',
    created_at: 1_767_225_600,
    status,
    model: reply.model ?? `${body.model}-2026-01-01`,
    output,
    error: status === 'failed' ? { code: 'server_error', message: err(reply) } : null,
    incomplete_details: incomplete ? { reason: reply.finish } : null,
    usage: usage
      ? {
          input_tokens: usage.input,
          input_tokens_details: { cached_tokens: usage.cached ?? 0 },
          output_tokens: usage.output,
          output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
          total_tokens: usage.input + usage.output,
        }
      : null,
  })
  const output = [
    ...(text === undefined ? [] : [message]),
    ...(reply.toolCalls ?? []).map((call) => item(call, call.args.join(''))),
  ]
  const result = response(reply.failed ? 'failed' : incomplete ? 'incomplete' : 'completed', output)
  let sequence = 0
  const event = (type: string, data: object = {}): Frame => sse({ type, sequence_number: sequence++, ...data }, type)
  const frames: Frame[] = [
    event('response.created', { response: response('in_progress', []) }),
    event('response.in_progress', { response: response('in_progress', []) }),
  ]
  if (text !== undefined) {
    const at = { item_id: message.id, output_index: 0, content_index: 0 }
    frames.push(
      event('response.output_item.added', {
        output_index: 0,
        item: { ...message, status: 'in_progress', content: [] },
      }),
    )
    frames.push(
      event('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [] } }),
    )
    for (const delta of reply.text ?? [])
      frames.push({ ...event('response.output_text.delta', { ...at, delta, logprobs: [] }), delta: true })
    frames.push(event('response.output_text.done', { ...at, text, logprobs: [] }))
    frames.push(event('response.content_part.done', { ...at, part: message.content[0] }))
    frames.push(event('response.output_item.done', { output_index: 0, item: message }))
  }
  const first = text === undefined ? 0 : 1
  reply.toolCalls?.forEach((call, index) =>
    frames.push(
      event('response.output_item.added', {
        output_index: first + index,
        item: { ...item(call, ''), status: 'in_progress' },
      }),
    ),
  )
  for (const { index, call, part } of fragments(reply.toolCalls)) {
    frames.push({
      ...event('response.function_call_arguments.delta', {
        item_id: `fc_${call.id}`,
        output_index: first + index,
        delta: part,
      }),
      delta: true,
    })
  }
  reply.toolCalls?.forEach((call, index) => {
    frames.push(
      event('response.function_call_arguments.done', {
        item_id: `fc_${call.id}`,
        output_index: first + index,
        arguments: call.args.join(''),
      }),
    )
    frames.push(
      event('response.output_item.done', { output_index: first + index, item: item(call, call.args.join('')) }),
    )
  })
  frames.push(event(`response.${result.status}`, { response: result }))
  return { result, frames, error: event('error', { code: 'server_error', message: err(reply), param: null }) }
}

function anthropic(reply: Reply, body: Record<string, any>, n: number) {
  const usage = usageOf(reply)
  const wire = usage && {
    input_tokens: usage.input - (usage.cached ?? 0) - (usage.cacheWrite ?? 0),
    output_tokens: usage.output,
    ...(usage.cached !== undefined && { cache_read_input_tokens: usage.cached }),
    ...(usage.cacheWrite !== undefined && { cache_creation_input_tokens: usage.cacheWrite }),
  }
  const finish = reply.finish ?? (reply.toolCalls?.length ? 'tool_use' : 'end_turn')
  const text = reply.text === undefined ? [] : [{ type: 'text', text: reply.text.join('') }]
  const tools = (reply.toolCalls ?? []).map((call) => ({
    type: 'tool_use',
    id: call.id,
    name: call.name,
    input: JSON.parse(call.args.join('') || '{}'),
  }))
  const message = {
    id: `msg_fake${n}`,
    type: 'message',
    role: 'assistant',
    model: reply.model ?? `${body.model}-2026-01-01`,
    stop_sequence: null,
  }
  const result = { ...message, content: [...text, ...tools], stop_reason: finish, ...(wire && { usage: wire }) }
  const event = (type: string, data: object = {}): Frame => sse({ type, ...data }, type)
  const frames: Frame[] = [
    event('message_start', {
      message: { ...message, content: [], stop_reason: null, ...(wire && { usage: { ...wire, output_tokens: 1 } }) },
    }),
  ]
  let index = 0
  if (reply.text) {
    frames.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }), event('ping'))
    for (const delta of reply.text)
      frames.push({
        ...event('content_block_delta', { index, delta: { type: 'text_delta', text: delta } }),
        delta: true,
      })
    frames.push(event('content_block_stop', { index: index++ }))
  }
  for (const call of reply.toolCalls ?? []) {
    frames.push(
      event('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
      }),
    )
    for (const part of call.args)
      frames.push({
        ...event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } }),
        delta: true,
      })
    frames.push(event('content_block_stop', { index: index++ }))
  }
  for (const output of wire ? (reply.deltaUsage ?? [wire.output_tokens]) : [undefined]) {
    frames.push(
      event('message_delta', {
        delta: { stop_reason: finish, stop_sequence: null },
        ...(output !== undefined && { usage: { output_tokens: output } }),
      }),
    )
  }
  frames.push(event('message_stop'))
  return { result, frames, error: event('error', { error: { type: 'overloaded_error', message: err(reply) } }) }
}

/** The renderer of each API, by path. */
export const apis = { '/v1/chat/completions': chat, '/v1/responses': responses, '/v1/messages': anthropic }
