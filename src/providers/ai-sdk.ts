// honeyhive-edge/ai-sdk: for the Vercel AI SDK (`ai` 7): a language-model middleware (spec v4) that logs every
// model call (one per step) as one event, and a telemetry integration that logs each run as a tree.
import type { ModelEvent } from '../schema.js'
import { claimed, mapping, observe, type LanguageModelInfo } from './ai-sdk-map.js'
import { track, type Tracker } from './track.js'
export type { Tracker, ToolCall } from './track.js'
export type { LanguageModelInfo } from './ai-sdk-map.js'
export { honeyhiveTelemetry, type HoneyHiveTelemetry, type TraceParent } from './ai-sdk-telemetry.js'

type Any = any

/** The call options the AI SDK hands a model (`prompt`, settings, `tools`, `abortSignal`...). */
export interface LanguageModelCallOptions {
  prompt?: unknown
  abortSignal?: AbortSignal
}

/** A language-model middleware for `wrapLanguageModel({ model, middleware })`. */
export interface HoneyHiveMiddleware {
  readonly specificationVersion: 'v4'
  wrapGenerate<R>(options: {
    doGenerate(): PromiseLike<R>
    params: LanguageModelCallOptions
    model: LanguageModelInfo
  }): Promise<R>
  wrapStream<R extends { stream: ReadableStream<any> }>(options: {
    doStream(): PromiseLike<R>
    params: LanguageModelCallOptions
    model: LanguageModelInfo
  }): Promise<R>
}

/**
 * A language-model middleware that logs each model call the AI SDK makes (one per step) as a HoneyHive
 * model event, streamed or not, once: when it ends, fails, or is stopped (the call's `abortSignal`, or
 * the reader cancelling). A stopped step keeps its partial text and tool calls, which the AI SDK's own
 * `onAbort` does not report. Logging never throws and never changes the call. Used with `honeyhiveTelemetry`, it
 * leaves the calls that integration logs to it (one event per call either way).
 *
 * @param hh a client from `createClient`, or a span (`hh.startChain(...)`): each model call is logged as its child
 * @param init fields merged into every event (`session_id`, `parent_id`, `event_name`, `metadata`, ...); they win over the mapped ones
 * @example
 * const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: honeyhiveMiddleware(hh) })
 * const result = streamText({ model, prompt: 'Hello' })
 */
export function honeyhiveMiddleware(hh: Tracker, init?: ModelEvent): HoneyHiveMiddleware {
  // A call that honeyhiveTelemetry logs itself, as a child of its run, passes through untouched: one event per call.
  const call = (params: Any, model: LanguageModelInfo, run: () => PromiseLike<unknown>, streamed: boolean): Any =>
    claimed.has(params.prompt)
      ? Promise.resolve(run())
      : track(mapping(model), observe, hh, params, run(), init, streamed, params.abortSignal)
  return {
    specificationVersion: 'v4',
    wrapGenerate: ({ doGenerate, params, model }) => call(params, model, doGenerate, false),
    wrapStream: ({ doStream, params, model }) => call(params, model, doStream, true),
  }
}
