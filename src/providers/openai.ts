// honeyhive-edge/openai: one OpenAI call (chat completions or Responses, streamed or not) as one event.
import type { ModelEvent } from '../schema.js'
import { observeStainless } from './stream.js'
import {
  choice,
  counts,
  hyperparameters,
  toolCall,
  track,
  withSystem,
  type Mapping,
  type Observe,
  type Output,
  type Tracker,
} from './track.js'
import { wrapClient } from './wrap.js'
export type { Tracker, ToolCall } from './track.js'

type Any = any

/** The request as passed to the SDK: `openai.chat.completions.create(params)`, `openai.responses.create(params)`, or their `.stream(params)`. */
export interface OpenAIParams {
  model?: string
  messages?: unknown
  input?: unknown
  instructions?: unknown
  stream?: boolean | null
}

/** A Responses API `Response`: its output items are the answer (a streamed one never carries `output_text`). */
function fromResponse(out: Output, response: Any): void {
  out.id = response.id
  out.model = response.model
  if (response.usage) out.usage = response.usage
  if (response.error) out.error = response.error.message
  if (!/progress|queued/.test(response.status)) out.finish = response.incomplete_details?.reason ?? response.status
  if (!response.output?.length) return
  out.text = out.refusal = ''
  out.calls = {}
  for (const item of response.output) {
    if (item.type === 'function_call') out.calls[item.id] = toolCall(item.call_id, item.name, item.arguments)
    for (const part of item.type === 'message' ? item.content : []) {
      if (part.type === 'refusal') out.refusal += part.refusal
      else out.text += part.text ?? ''
    }
  }
}

const openai: Mapping = {
  request: (params) => ({
    model: params.model,
    provider: 'openai',
    event_name: params.messages ? 'openai.chat' : 'openai.responses',
    messages:
      params.messages ??
      withSystem(
        params.instructions,
        typeof params.input === 'string' ? [{ role: 'user', content: params.input }] : params.input,
      ),
    hyperparameters: hyperparameters(
      params,
      'model messages input instructions prompt previous_response_id conversation prediction stream stream_options background store include tools tool_choice response_format metadata user safety_identifier prompt_cache_key',
    ),
    tools: params.tools,
    tool_choice: choice(params.tool_choice),
    response_format: params.response_format ?? params.text?.format,
  }),
  // A ChatCompletion reads like one chunk whose delta is the whole message.
  result: (out, result) => (result.choices ? openai.chunk(out, result) : fromResponse(out, result)),
  chunk(out, chunk) {
    if (!chunk.choices) {
      // A Responses stream event.
      const { type, delta, item } = chunk
      if (chunk.response) fromResponse(out, chunk.response)
      if (type === 'response.output_text.delta') out.text += delta
      if (type === 'response.refusal.delta') out.refusal += delta
      if (type === 'response.output_item.added' && item.type === 'function_call')
        out.calls[item.id] = toolCall(item.call_id, item.name, item.arguments ?? '')
      if (type === 'response.function_call_arguments.delta') out.calls[chunk.item_id].function.arguments += delta
      return type.endsWith('.delta') && delta
    }
    // A chat completion chunk: the first is an empty role chunk; with include_usage the last has no choices.
    if (chunk.usage) out.usage = chunk.usage
    out.id ??= chunk.id
    out.model ??= chunk.model
    // Choice 0 only; with n > 1 each choice streams in chunks of its own.
    const choice = chunk.choices[0]
    if (!choice || choice.index) return
    const delta = choice.delta ?? choice.message
    const { content, refusal, tool_calls } = delta
    if (choice.finish_reason) out.finish = choice.finish_reason
    if (content) out.text += content
    if (refusal) out.refusal += refusal
    // Tool calls stream as fragments grouped by index; only the first fragment of each has its id and name.
    // OpenAI-compatible APIs without `index` (Gemini) are grouped by id; a fragment with neither continues the last call.
    tool_calls?.forEach(({ index, id, function: fn = {} }: Any) => {
      const call = (out.calls[index ?? (id ? `id ${id}` : (Object.keys(out.calls).at(-1) ?? 0))] ??= toolCall(
        '',
        '',
        '',
      ))
      call.id ||= id
      call.function.name += fn.name ?? ''
      call.function.arguments += fn.arguments ?? ''
    })
    return content || refusal || delta.reasoning_content || delta.reasoning || tool_calls?.length
  },
  usage: (u) =>
    counts({
      prompt_tokens: u.prompt_tokens ?? u.input_tokens,
      completion_tokens: u.completion_tokens ?? u.output_tokens,
      total_tokens: u.total_tokens,
      cache_read_input_tokens: (u.prompt_tokens_details ?? u.input_tokens_details)?.cached_tokens,
      reasoning_tokens: (u.completion_tokens_details ?? u.output_tokens_details)?.reasoning_tokens,
    }),
}

/**
 * Logs one OpenAI call as a HoneyHive model event and resolves exactly what `call` resolves: the result
 * unchanged, or the same stream object, observed in place (`controller`, `toReadableStream()`, `tee()`,
 * the `.stream()` helpers' events and `finalChatCompletion()` / `finalResponse()` keep working). The
 * event is logged once, when the call settles: result, end of stream, error (which still reaches you,
 * unchanged), or an early stop (`controller.abort()`, an aborted `signal`, `break`, a cancelled readable).
 * Logging never throws and never changes the request.
 *
 * @param hh a client from `createClient`, or a span (`hh.startChain(...)`): the call is logged as its child
 * @param params exactly what you passed to the SDK
 * @param call what the SDK returned: `openai.chat.completions.create(params)`, `openai.responses.create(params)`,
 *   `openai.chat.completions.stream(params)` or `openai.responses.stream(params)`
 * @param init fields merged into the event (`session_id`, `parent_id`, `event_name`, `metadata`, ...); they win over the mapped ones
 * @example
 * const stream = await trackOpenAI(hh, params, openai.chat.completions.create(params))
 * for await (const chunk of stream) render(chunk.choices[0]?.delta.content ?? '')
 */
export function trackOpenAI<T>(hh: Tracker, params: OpenAIParams, call: T, init?: ModelEvent): Promise<Awaited<T>> {
  return track(openai, observe, hh, params, call, init)
}

const observe: Observe = (value, chunk, settle, params) =>
  observeStainless(value, params.messages ? 'chunk' : 'event', chunk, settle) && value

/**
 * Returns `client` (an `OpenAI` client of the `openai` SDK) with its model calls logged: `chat.completions.create`,
 * `.stream` and `.parse`, `responses.create`, `.stream` and `.parse`, each call logged as `trackOpenAI` logs it
 * (streamed or not, stopped, failed), so `params` are written once. Everything else passes through untouched,
 * and `client` itself is not changed: wrap it again per turn to log a turn's calls under its span. A call
 * stopped by a timeout signal in its options (`AbortSignal.timeout`) is logged as an error.
 *
 * @param client the SDK client
 * @param hh a client from `createClient`, or a span (`hh.startChain(...)`): each call is logged as its child
 * @param init fields merged into every event (`event_name`, `metadata`, ...); they win over the mapped ones
 * @example
 * const openai = wrapOpenAI(new OpenAI(), hh)
 * const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
 */
export function wrapOpenAI<T>(client: T, hh: Tracker, init?: ModelEvent): T {
  const methods =
    'chat.completions.create chat.completions.stream chat.completions.parse responses.create responses.stream responses.parse'
  return wrapClient(client, methods, (params, call, options) =>
    track(openai, observe, hh, params, call, init, undefined, options?.signal),
  )
}
