// honeyhive-edge/ai-sdk: a language-model middleware for the Vercel AI SDK (`ai` 7, middleware spec v4)
// that logs every model call (one per step) as one event.
import type { ModelEvent } from '../schema.js'
import { observeReadable } from './stream.js'
import { choice, counts, hyperparameters, toolCall, track, type Mapping, type Output, type Tracker } from './track.js'
export type { Tracker, ToolCall } from './track.js'

type Any = any

/** The model a middleware wraps, as the AI SDK describes it (`provider` is e.g. `openai.chat`). */
export interface LanguageModelInfo {
  readonly provider: string
  readonly modelId: string
}

/** The call options the AI SDK hands a model (`prompt`, settings, `tools`, `abortSignal`...). */
export interface LanguageModelCallOptions {
  prompt?: unknown
  abortSignal?: AbortSignal
}

/** A language-model middleware for `wrapLanguageModel({ model, middleware })`. */
export interface HoneyHiveMiddleware {
  readonly specificationVersion: 'v4'
  wrapGenerate<R>(options: { doGenerate(): PromiseLike<R>; params: LanguageModelCallOptions; model: LanguageModelInfo }): Promise<R>
  wrapStream<R extends { stream: ReadableStream<any> }>(options: { doStream(): PromiseLike<R>; params: LanguageModelCallOptions; model: LanguageModelInfo }): Promise<R>
}

const reason = (finish: Any) => finish?.raw ?? finish?.unified ?? finish

/** A tool call; a complete one replaces the fragments streamed before it (same id, same place). */
const add = (out: Output, part: Any, args: string) => (out.calls[part.toolCallId ?? part.id] = toolCall(part.toolCallId ?? part.id, part.toolName, args))

const mapping = (model: LanguageModelInfo): Mapping => {
  return {
    request: (params, provider = String(model.provider).split('.')[0]) => ({
      model: model.modelId,
      provider,
      event_name: `ai-sdk.${provider}`,
      messages: params.prompt,
      hyperparameters: hyperparameters(params, 'prompt tools toolChoice responseFormat abortSignal headers includeRawChunks'),
      tools: params.tools,
      tool_choice: choice(params.toolChoice),
      response_format: params.responseFormat,
    }),
    result(out, result) {
      for (const part of result.content ?? []) {
        if (part.type == 'text') out.text += part.text
        if (part.type == 'tool-call') add(out, part, part.input)
      }
      out.finish = reason(result.finishReason)
      out.usage = result.usage
      out.id = result.response?.id
      out.model = result.response?.modelId
    },
    chunk(out, part) {
      const { type, delta } = part
      if (type == 'text-delta') out.text += delta
      if (type == 'tool-input-start') add(out, part, '')
      if (type == 'tool-input-delta') out.calls[part.id].function.arguments += delta
      if (type == 'tool-call') add(out, part, part.input)
      if (type == 'response-metadata') (out.id = part.id ?? out.id), (out.model = part.modelId ?? out.model)
      if (type == 'finish') (out.finish = reason(part.finishReason)), (out.usage = part.usage)
      // A provider error inside the stream does not end it: the call failed all the same.
      if (type == 'error') out.error = part.error?.message ?? String(part.error)
      // @ai-sdk/openai turns OpenAI's empty first chunk into an empty text-delta: not a first token.
      return (type.endsWith('-delta') && delta) || type == 'tool-input-start' || type == 'tool-call'
    },
    usage: ({ inputTokens: input = {}, outputTokens: output = {} }) =>
      counts({
        prompt_tokens: input.total,
        completion_tokens: output.total,
        cache_read_input_tokens: input.cacheRead,
        cache_write_input_tokens: input.cacheWrite,
        reasoning_tokens: output.reasoning,
      }),
  }
}

// The streamed parts pass through a stream that watches them; the rest of the result is unchanged.
const observe = (value: Any, chunk: (part: unknown) => void, settle: Any, params: Any) =>
  value?.stream && { ...value, stream: observeReadable(value.stream, chunk, settle, params.abortSignal) }

/**
 * A language-model middleware that logs each model call the AI SDK makes (one per step) as a HoneyHive
 * model event, streamed or not, once: when it ends, fails, or is stopped (the call's `abortSignal`, or
 * the reader cancelling). A stopped step keeps its partial text and tool calls, which the AI SDK's own
 * `onAbort` does not report. Logging never throws and never changes the call.
 *
 * @param hh a client from `createClient`, or a span (`hh.startChain(...)`): each model call is logged as its child
 * @param init fields merged into every event (`session_id`, `parent_id`, `event_name`, `metadata`, ...); they win over the mapped ones
 * @example
 * const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: honeyhiveMiddleware(hh) })
 * const result = streamText({ model, prompt: 'Hello' })
 */
export function honeyhiveMiddleware(hh: Tracker, init?: ModelEvent): HoneyHiveMiddleware {
  return {
    specificationVersion: 'v4',
    wrapGenerate: ({ doGenerate, params, model }) => track(mapping(model), observe, hh, params, doGenerate(), init, false, params.abortSignal) as Any,
    wrapStream: ({ doStream, params, model }) => track(mapping(model), observe, hh, params, doStream(), init, true, params.abortSignal) as Any,
  }
}
