// honeyhiveTelemetry: the AI SDK's run as HoneyHive's tree (issue 18, field notes §12). An AI SDK 7 telemetry
// integration, typed structurally (no import of `ai`): a chain per generateText/streamText call, and under it a
// model event per model call and a tool event per tool execution, kept apart by the SDK's callId.
//
// The model events come from the same observer as honeyhiveMiddleware's (executeLanguageModelCall hands us the
// call's result, its stream included), not from onLanguageModelCallEnd: a run stopped mid-step gets no end
// event and onAbort drops the step's partial output, while the observer keeps its text, time to first token
// and the cancel. A middleware on the same model sees the step's prompt among `claimed` and stays silent.
import type { ModelEvent } from '../schema.js'
import type { Span, SpanParent } from '../spans.js'
import { claimed, mapping, observe } from './ai-sdk-map.js'
import { track, withSystem, type Tracker } from './track.js'

type Any = any

/** Where each run's chain hangs: a client from `createClient` (under its session) or a span (as its child). */
export type TraceParent = Pick<SpanParent, 'startChain'>

/**
 * The integration, as the AI SDK 7 `Telemetry` interface has it: pass it in `telemetry: { integrations }` of
 * `generateText` / `streamText`, or to `registerTelemetry()`.
 */
export interface HoneyHiveTelemetry {
  onStart(event: Any): void
  onStepStart(event: Any): void
  onToolExecutionStart(event: Any): void
  onToolExecutionEnd(event: Any): void
  onStepEnd(event: Any): void
  onEnd(event: Any): void
  onAbort(event: Any): void
  onError(event: Any): void
  executeLanguageModelCall<T>(options: { callId: string; execute: () => PromiseLike<T> }): PromiseLike<T>
}

/** One generateText / streamText call being logged. */
interface Run {
  chain: Span
  streamed: boolean
  /** The call's `telemetry.recordInputs` / `recordOutputs` (both on unless set to false). */
  inputs: boolean
  outputs: boolean
  /** The step's prompt and tool choice, as the model gets them (from onStepStart). */
  prompt?: unknown
  toolChoice?: unknown
  tools: Map<string, Span>
  steps: number
  /** Model calls not settled yet: the chain ends after them, so that its children's times lie inside its own. */
  open: number
  end?: () => void
}

const isPlain = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

// The start event's keys that are not the model's settings.
const notSettings =
  'callId execute provider modelId instructions messages tools recordInputs recordOutputs functionId aiVersion metadata timestamp durableContext'

/**
 * An AI SDK 7 telemetry integration that logs each `generateText` / `streamText` call as a tree: one `chain`
 * event for the call (`event_name` its `functionId`, else `ai.streamText` / `ai.generateText`; the prompt as
 * `inputs.chat_history`; the final text as `outputs`; `metadata.status` and `metadata.steps`), and under it one
 * `model` event per model call, with everything `honeyhiveMiddleware` logs (time to first token, usage, partial
 * text of a stopped step), and one `tool` event per tool execution. Concurrent calls stay apart; a stopped or
 * failed call is logged once, `cancelled` or `error`, with the steps it finished. Chain and tool events need the
 * `/v1/events/batch` route. The call's `telemetry.recordInputs: false` / `recordOutputs: false` leave out the
 * prompts and messages / the replies, tool inputs and results. Logging never throws into the AI SDK and never
 * changes the call.
 *
 * @param hh a client from `createClient`, or a span: each run's chain is started there
 * @param init fields merged into every chain event (`event_name`, `metadata`, `user_properties`...); they win
 * @example
 * streamText({ model, tools, messages, telemetry: { functionId: 'chat', integrations: [honeyhiveTelemetry(hh)] } })
 */
export function honeyhiveTelemetry(hh: TraceParent, init?: ModelEvent): HoneyHiveTelemetry {
  const runs = new Map<string, Run>()
  const { metadata: own, ...fields } = init ?? {}
  // Every callback is guarded: the AI SDK awaits them, and a throw there would fail the user's call.
  const on =
    (handle: (event: Any, run: Run) => void) =>
    (event: Any): void => {
      try {
        const run = runs.get(event?.callId)
        if (run) handle(event, run)
      } catch {}
    }
  // Ends the run once: open tools are cancelled, and the chain waits for its model calls to settle.
  const finish = (event: Any, run: Run, end: (metadata: Record<string, unknown>) => void) => {
    runs.delete(event.callId)
    for (const tool of run.tools.values()) tool.end({ metadata: { status: 'cancelled' } })
    run.end = () => end({ steps: run.steps, ...own })
    if (run.open === 0) run.end()
  }
  // The chain as the parent of its model calls, counting them open until they settle.
  const child = (run: Run): Tracker => ({
    startModelEvent(event) {
      const span = run.chain.startModelEvent(event)
      run.open++
      const settled = (id: string) => {
        if (--run.open === 0) run.end?.()
        return id
      }
      return {
        event_id: span.event_id,
        firstToken: () => span.firstToken(),
        end: (result) => settled(span.end(result)),
        fail: (error, result) => settled(span.fail(error, result)),
      }
    },
  })
  return {
    onStart(event) {
      try {
        if (!/^ai\.(stream|generate)Text$/.test(event.operationId)) return
        const inputs = event.recordInputs !== false
        const chain = hh.startChain({
          event_name: event.functionId ?? event.operationId,
          inputs: inputs ? { chat_history: withSystem(event.instructions ?? event.system, event.messages) } : {},
          config: { model: event.modelId, provider: String(event.provider).split('.')[0] },
          ...fields,
        })
        runs.set(event.callId, {
          chain,
          streamed: event.operationId === 'ai.streamText',
          inputs,
          outputs: event.recordOutputs !== false,
          tools: new Map(),
          steps: 0,
          open: 0,
        })
      } catch {}
    },
    onStepStart: on((event, run) => {
      run.prompt = event.promptMessages
      run.toolChoice = event.stepToolChoice
      if (Array.isArray(event.promptMessages)) claimed.add(event.promptMessages)
    }),
    executeLanguageModelCall(options) {
      const run = runs.get(options.callId)
      if (!run) return options.execute()
      const start: Any = options
      const params: Any = {
        prompt: run.prompt ?? withSystem(start.instructions, start.messages),
        tools: start.tools,
        toolChoice: run.toolChoice,
      }
      for (const key in start) if (!notSettings.split(' ').includes(key)) params[key] = start[key]
      // What the call asked not to record is left out (fields of `init` win over the mapped ones).
      const hidden = { ...(!run.inputs && { messages: undefined }), ...(!run.outputs && { response: undefined }) }
      return track(mapping(start), observe, child(run), params, options.execute(), hidden, run.streamed)
    },
    onToolExecutionStart: on((event, run) => {
      const { toolCallId, toolName, input } = event.toolCall
      const inputs = !run.inputs ? {} : isPlain(input) ? input : { args: input }
      run.tools.set(
        toolCallId,
        run.chain.startTool({ event_name: toolName, inputs, metadata: { tool_call_id: toolCallId } }),
      )
    }),
    onToolExecutionEnd: on((event, run) => {
      const id = event.toolCall.toolCallId
      const tool = run.tools.get(id)
      run.tools.delete(id)
      const output = event.toolOutput ?? {}
      if (output.type === 'tool-error') tool?.fail(output.error, { metadata: { tool_call_id: id, status: 'error' } })
      else {
        const outputs = !run.outputs ? undefined : isPlain(output.output) ? output.output : { result: output.output }
        tool?.end({ outputs, metadata: { tool_call_id: id, status: 'success' } })
      }
    }),
    onStepEnd: on((_event, run) => {
      run.steps++
    }),
    onEnd: on((event, run) => {
      const outputs = run.outputs ? { role: 'assistant', content: event.text } : undefined
      const finish_reason = event.rawFinishReason ?? event.finishReason
      finish(event, run, (metadata) =>
        run.chain.end({ outputs, metadata: { status: 'success', finish_reason, ...metadata } }),
      )
    }),
    onAbort: on((event, run) => {
      run.steps = event.steps?.length ?? run.steps
      finish(event, run, (metadata) => run.chain.end({ metadata: { status: 'cancelled', ...metadata } }))
    }),
    onError: on((event, run) => {
      finish(event, run, (metadata) => run.chain.fail(event.error, { metadata: { status: 'error', ...metadata } }))
    }),
  }
}
