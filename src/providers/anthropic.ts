// honeyhive-edge/anthropic: one Anthropic Messages call (streamed or not) as one event.
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
  type Tracker,
} from './track.js'
import { wrapClient } from './wrap.js'
export type { Tracker, ToolCall } from './track.js'

type Any = any

/** The request as passed to the SDK: `anthropic.messages.create(params)` or `anthropic.messages.stream(params)`. */
export interface AnthropicParams {
  model?: string
  messages?: unknown
  system?: unknown
  stream?: boolean | null
}

const anthropic: Mapping = {
  request: (params) => ({
    model: params.model,
    provider: 'anthropic',
    event_name: 'anthropic.messages',
    messages: withSystem(params.system, params.messages),
    hyperparameters: hyperparameters(params, 'model messages system stream tools tool_choice metadata'),
    tools: params.tools,
    tool_choice: choice(params.tool_choice),
    response_format: params.output_config?.format,
  }),
  result(out, message) {
    out.id = message.id
    out.model = message.model
    out.finish = message.stop_reason
    out.usage = message.usage
    message.content?.forEach((block: Any, index: number) => {
      if (block.type === 'text') out.text += block.text
      if (block.type === 'tool_use') out.calls[index] = toolCall(block.id, block.name, JSON.stringify(block.input))
    })
  },
  chunk(out, event) {
    const { type, index, delta = {} } = event
    if (type === 'message_start') {
      const { id, model, usage } = event.message
      // message_start's output_tokens is a placeholder: the real count comes with message_delta.
      const { output_tokens, ...input } = usage ?? {}
      Object.assign(out, { id, model, usage: input })
    }
    const block = event.content_block
    if (block?.type === 'tool_use') out.calls[index] = toolCall(block.id, block.name, '')
    if (type === 'content_block_stop' && out.calls[index]) out.calls[index].function.arguments ||= '{}'
    out.text += delta.text ?? ''
    if (delta.partial_json) out.calls[index].function.arguments += delta.partial_json
    if (type === 'message_delta') {
      out.finish = delta.stop_reason ?? out.finish
      // Cumulative counts: each message_delta replaces the last, never adds to it.
      for (const key in event.usage) if (event.usage[key] != null) out.usage = { ...out.usage, [key]: event.usage[key] }
    }
    return type === 'content_block_delta' && (delta.text || delta.partial_json || delta.thinking)
  },
  usage: (u) =>
    counts({
      // Anthropic's input_tokens exclude the cache counts; the seed's prompt_tokens include them.
      prompt_tokens:
        u.input_tokens >= 0
          ? u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0)
          : undefined,
      completion_tokens: u.output_tokens,
      cache_read_input_tokens: u.cache_read_input_tokens,
      cache_write_input_tokens: u.cache_creation_input_tokens,
    }),
}

/**
 * Logs one Anthropic Messages call as a HoneyHive model event and resolves exactly what `call` resolves:
 * the `Message` unchanged, or the same stream object, observed in place (`controller`, `toReadableStream()`,
 * `tee()`, the `MessageStream` events and `finalMessage()` keep working). The event is logged once, when the
 * call settles: result, end of stream, error (which still reaches you, unchanged), or an early stop
 * (`controller.abort()`, `stream.abort()`, an aborted `signal`, `break`, a cancelled readable).
 * Logging never throws and never changes the request.
 *
 * @param hh a client from `createClient`, or a span (`hh.startChain(...)`): the call is logged as its child
 * @param params exactly what you passed to the SDK
 * @param call what the SDK returned: `anthropic.messages.create(params)` or `anthropic.messages.stream(params)`
 * @param init fields merged into the event (`session_id`, `parent_id`, `event_name`, `metadata`, ...); they win over the mapped ones
 * @example
 * const stream = await trackAnthropic(hh, params, anthropic.messages.stream(params))
 * stream.on('text', (text) => render(text))
 */
export function trackAnthropic<T>(
  hh: Tracker,
  params: AnthropicParams,
  call: T,
  init?: ModelEvent,
): Promise<Awaited<T>> {
  return track(anthropic, observe, hh, params, call, init)
}

const observe: Observe = (value, chunk, settle) => observeStainless(value, 'streamEvent', chunk, settle) && value

/**
 * Returns `client` (an `Anthropic` client of `@anthropic-ai/sdk`) with its model calls logged:
 * `messages.create` (streamed or not) and `messages.stream`, each call logged as `trackAnthropic` logs it, so
 * `params` are written once. Everything else passes through untouched, and `client` itself is not changed:
 * wrap it again per turn to log a turn's calls under its span. Unlike `trackAnthropic`, it sees the call's
 * options: a call stopped by a timeout signal (`AbortSignal.timeout`) is logged as an error, not as cancelled.
 *
 * @param client the SDK client
 * @param hh a client from `createClient`, or a span (`hh.startChain(...)`): each call is logged as its child
 * @param init fields merged into every event (`event_name`, `metadata`, ...); they win over the mapped ones
 * @example
 * const anthropic = wrapAnthropic(new Anthropic(), hh)
 * const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages })
 */
export function wrapAnthropic<T>(client: T, hh: Tracker, init?: ModelEvent): T {
  const log = (params: unknown, call: unknown, options: { signal?: AbortSignal } | undefined) =>
    track(anthropic, observe, hh, params, call, init, undefined, options?.signal)
  return wrapClient(client, 'messages.create messages.stream', log)
}
