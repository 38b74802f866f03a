// The AI SDK's model call (middleware spec v4) mapped onto a model event, shared by honeyhiveMiddleware and
// honeyhiveTelemetry, and the calls the telemetry logs itself (so the middleware leaves them alone).
import { observeReadable } from './stream.js'
import { choice, counts, hyperparameters, toolCall, type Mapping, type Output } from './track.js'

type Any = any

/** The model a middleware wraps, as the AI SDK describes it (`provider` is e.g. `openai.chat`). */
export interface LanguageModelInfo {
  readonly provider: string
  readonly modelId: string
}

/**
 * The prompts of the model calls honeyhiveTelemetry logs: the AI SDK hands its `onStepStart` the very array
 * it then passes the model as `params.prompt`, so a middleware on the same call knows to stay silent.
 */
export const claimed = new WeakSet<object>()

const reason = (finish: Any) => finish?.raw ?? finish?.unified ?? finish

/** A tool call; a complete one replaces the fragments streamed before it (same id, same place). */
const add = (out: Output, part: Any, args: string) =>
  (out.calls[part.toolCallId ?? part.id] = toolCall(part.toolCallId ?? part.id, part.toolName, args))

/** The mapping of one model's calls. */
export const mapping = (model: LanguageModelInfo): Mapping => {
  return {
    request: (params, provider = String(model.provider).split('.')[0]) => ({
      model: model.modelId,
      provider,
      event_name: `ai-sdk.${provider}`,
      messages: params.prompt,
      hyperparameters: hyperparameters(
        params,
        'prompt tools toolChoice responseFormat abortSignal headers includeRawChunks',
      ),
      tools: params.tools,
      tool_choice: choice(params.toolChoice),
      response_format: params.responseFormat,
    }),
    result(out, result) {
      for (const part of result.content ?? []) {
        if (part.type === 'text') out.text += part.text
        if (part.type === 'tool-call') add(out, part, part.input)
      }
      out.finish = reason(result.finishReason)
      out.usage = result.usage
      out.id = result.response?.id
      out.model = result.response?.modelId
    },
    chunk(out, part) {
      const { type, delta } = part
      if (type === 'text-delta') out.text += delta
      if (type === 'tool-input-start') add(out, part, '')
      if (type === 'tool-input-delta') out.calls[part.id].function.arguments += delta
      if (type === 'tool-call') add(out, part, part.input)
      if (type === 'response-metadata') {
        out.id = part.id ?? out.id
        out.model = part.modelId ?? out.model
      }
      if (type === 'finish') {
        out.finish = reason(part.finishReason)
        out.usage = part.usage
      }
      // A provider error inside the stream does not end it: the call failed all the same.
      if (type === 'error') out.error = part.error?.message ?? String(part.error)
      // @ai-sdk/openai turns OpenAI's empty first chunk into an empty text-delta: not a first token.
      return (type.endsWith('-delta') && delta) || type === 'tool-input-start' || type === 'tool-call'
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
export const observe = (value: Any, chunk: (part: unknown) => void, settle: Any, params: Any) =>
  value?.stream && { ...value, stream: observeReadable(value.stream, chunk, settle, params.abortSignal) }
