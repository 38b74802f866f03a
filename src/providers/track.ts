// What every provider integration does with a model call: start a span, watch the answer (a result or a
// stream), and log one event when the call settles. The SDK-specific parts come in as a `Mapping`.
import type { ModelEvent } from '../schema.js'
import type { SpanParent } from '../spans.js'
import { isAbort, type Settle } from './stream.js'

type Any = any

/**
 * Where the integrations log (they only call its `startModelEvent`): a client from `createClient`, whose calls
 * hang under its session, or a span (`hh.startChain(...)`, `hh.startTool(...)`), whose child each call becomes.
 */
export type Tracker = Pick<SpanParent, 'startModelEvent'>

/** A tool call in OpenAI chat shape, as every integration logs it. */
export interface ToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

/** What a call produced so far, from its result or chunk by chunk. */
export interface Output {
  text: string
  refusal: string
  /** By the provider's own key (chunk index, item id, block index, tool call id), in arrival order. */
  calls: Record<string, ToolCall>
  /** The provider's usage object, mapped by `Mapping.usage` when the call settles. */
  usage?: Any
  finish?: string
  id?: string
  model?: string
  /** A failure the provider reported inside its answer rather than by throwing. */
  error?: string
}

/** One SDK's mapping onto the event. */
export interface Mapping {
  /** The request's fields: model, provider, event_name, messages, hyperparameters, tools... */
  request(params: Any): ModelEvent
  /** Fills `out` from a result that is not a stream. */
  result(out: Output, value: Any): void
  /** Adds one streamed chunk to `out`; truthy when it carried output (text, refusal, reasoning, tool call). */
  chunk(out: Output, chunk: Any): unknown
  /** The seed's usage from the provider's usage object (`counts`). */
  usage(raw: Any): Record<string, number>
}

/** Observes a streamed answer and returns what the caller gets; falsy when `value` is not a stream. */
export type Observe = (value: Any, chunk: (chunk: unknown) => void, settle: Settle, params: Any) => Any

/** The request's hyperparameters, copied as given: every key but those in `skip` (content, transport, identity). */
export function hyperparameters(params: Any, skip: string): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const key in params) if (!skip.split(' ').includes(key)) result[key] = params[key]
  return result
}

/** `tool_choice` as the seed has it: a string, objects JSON-encoded. */
export const choice = (value: unknown) =>
  value === undefined || typeof value === 'string' ? value : JSON.stringify(value)

/** The messages with a system prompt first, as `{ role: 'system' }`. */
export const withSystem = (system: unknown, messages: unknown[] = []) =>
  system === undefined ? messages : [{ role: 'system', content: system }, ...messages]

/** A tool call in OpenAI chat shape. */
export const toolCall = (id: string, name: string, args: string): ToolCall => ({
  id,
  type: 'function',
  function: { name, arguments: args },
})

/** The seed's usage: counts the provider did not report are left out, never 0; `prompt_tokens` includes cached input. */
export function counts(all: Record<string, number | undefined>): Record<string, number> {
  all.total_tokens ??=
    all.prompt_tokens! >= 0 && all.completion_tokens! >= 0 ? all.prompt_tokens! + all.completion_tokens! : undefined
  const usage: Record<string, number> = {}
  for (const key in all) if (typeof all[key] === 'number') usage[key] = all[key]
  return usage
}

/**
 * Logs one model call to `hh`: resolves what `call` resolves (a stream observed in place, or what
 * `observe` returns), rejects with its error unchanged. Never throws because of the logging. `signal`, the
 * caller's, tells a stop by a deadline from one by the user where the SDK's own error does not.
 */
export function track<T>(
  map: Mapping,
  observe: Observe,
  hh: Tracker,
  params: Any,
  call: T,
  init?: ModelEvent,
  streamed?: boolean,
  signal?: AbortSignal,
): Promise<Awaited<T>> {
  let end: ((stream: boolean, answered: boolean) => Settle) | undefined
  let resolve = (value: Any): Any => value
  try {
    params ??= {}
    streamed ??= params.stream === true
    const { metadata, ...fields } = init ?? {}
    const span = hh.startModelEvent({ ...map.request(params), ...fields })
    const out: Output = { text: '', refusal: '', calls: {} }
    let first: number | undefined
    const chunk = (value: unknown) => {
      try {
        if (map.chunk(out, value)) first ??= (span.firstToken(), performance.now())
      } catch {}
    }
    end = (stream, answered) => (status, error) => {
      try {
        // An abort is a stop, not a failure (isAbort), unless a deadline caused it (README): openai passes the
        // signal's reason on as the abort error's cause or its controller's reason; @anthropic-ai/sdk drops it,
        // so only the caller's `signal` tells.
        if (status === 'error' && isAbort(error)) status = 'cancelled'
        const timeout =
          status === 'cancelled' &&
          [error, (error as Any)?.cause, signal?.reason].find((reason) => reason?.name === 'TimeoutError')
        if (timeout) error = timeout
        if (timeout || (status === 'success' && out.error)) status = 'error'
        error ??= out.error
        const usage = map.usage(out.usage ?? {})
        const reported = Object.keys(usage).length > 0
        const elapsed = (performance.now() - first!) / 1000
        const calls = Object.values(out.calls)
        const result: ModelEvent = {
          ...(answered && {
            response: {
              role: 'assistant',
              content: out.text || null,
              ...(out.refusal && { refusal: out.refusal }),
              ...(calls.length > 0 && { tool_calls: calls }),
            },
          }),
          ...(reported && { usage }),
          ...fields,
          metadata: {
            status,
            stream,
            usage_reported: reported,
            finish_reason: status === 'cancelled' ? undefined : out.finish,
            response_id: out.id,
            response_model: out.model,
            output_tokens_per_second:
              usage.completion_tokens >= 0 && elapsed > 0 ? usage.completion_tokens / elapsed : undefined,
            ...metadata,
          },
        }
        if (status === 'error') span.fail(error, result)
        else span.end(result)
      } catch {}
    }
    resolve = (value) => {
      const observed = observe(value, chunk, end!(true, true), params)
      if (observed) return observed
      try {
        map.result(out, value)
      } finally {
        end!(false, true)('success')
      }
      return value
    }
  } catch {}
  return Promise.resolve(call).then(
    (value) => {
      try {
        return resolve(value)
      } catch {
        return value
      }
    },
    (error) => {
      end?.(streamed!, false)('error', error)
      throw error
    },
  )
}
