import { toJson } from './encode.js'
import { DroppedError, type HoneyHiveError } from './errors.js'
import { randomId } from './ids.js'
import type { EventType, ModelEvent } from './schema.js'

// Spans time one event each and build HoneyHive's tree (field notes §12): a chain per run, model and tool
// events under it by `parent_id`. Parents are passed explicitly: browsers and Workers have no async context.

/** What `end(result)` may add to an event: any of its fields; they override all but `event_id`. */
export type ModelEventResult = Partial<ModelEvent>

/** A model call being timed; see `startModelEvent`. */
export interface ModelEventSpan {
  /** The id the event will have. */
  readonly event_id: string
  /** Ends the call: sets `end_time` and `duration`, merges `result` (`response`, `usage`, `outputs`...), logs it. */
  end(result?: ModelEventResult): string
  /** Ends the call as failed: sets `error` to the message of `error`, then logs it like `end`. */
  fail(error: unknown, result?: ModelEventResult): string
  /**
   * Marks the first token (the first non-empty output of a stream): the event gets
   * `metadata.time_to_first_token_ms`, ms since `startModelEvent` on a monotonic clock. Later calls are ignored.
   */
  firstToken(): void
}

/** What can start children: the client (children hang under its session) or a span (children hang under it). */
export interface SpanParent {
  /** Starts a `chain` event (a run, a chat turn, an agent step) under this parent. */
  startChain(init?: ModelEvent): Span
  /** Starts a `tool` event under this parent. */
  startTool(init?: ModelEvent): Span
  /** Starts a `model` event under this parent. */
  startModelEvent(init?: ModelEvent): ModelEventSpan
  /**
   * Runs `run(inputs)` as one tool event named `name`: `inputs` as its inputs, what `run` resolves as its
   * `outputs` (a value that is not a plain object as `{ result }`), or its rejection as `error`. Resolves or
   * rejects exactly as `run` does.
   */
  tool<I, O>(name: string, inputs: I, run: (inputs: I) => O): Promise<Awaited<O>>
}

/**
 * A chain or tool event being timed (`hh.startChain`, `hh.startTool`, `span.startChain` ...). What it starts is
 * its child (`parent_id` is its `event_id`); when it ends it lists the children it started in `children_ids`.
 */
export interface Span extends SpanParent {
  readonly event_id: string
  /** Ends the span: sets `end_time` and `duration`, merges `result` (`outputs`, `metadata`...), logs it. */
  end(result?: ModelEventResult): string
  /** Ends the span as failed: `error` is the message of `error`; then logs it like `end`. */
  fail(error: unknown, result?: ModelEventResult): string
}

/** What spans need from their client. */
export interface SpanHost {
  /** log(), reading the event inside its guard; returns the id. */
  record(read: () => ModelEvent, id: string): string
  report(error: HoneyHiveError): void
  /** Whether `parent_id` links are kept (false on the seed route with a key, where parents never arrive). */
  readonly tree: boolean
}

const isPlain = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.getPrototypeOf(value) === Object.prototype
/** An Error is sent as its message, as in log(); a string as it is; anything else as JSON. */
const message = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : (toJson(error) as string)

/** The parent methods of `parent`: its children get `parentId` (none: under the session). */
export function spanParent(host: SpanHost, parentId?: string, children?: string[]): SpanParent {
  const start = (type: EventType, init?: ModelEvent): Span & ModelEventSpan => {
    const span = startSpan(host, type, init, host.tree ? parentId : undefined)
    children?.push(span.event_id)
    return span
  }
  return {
    startChain: (init) => start('chain', init),
    startTool: (init) => start('tool', init),
    startModelEvent: (init) => start('model', init),
    tool(name, inputs, run) {
      const span = start('tool', { event_name: name, inputs: isPlain(inputs) ? inputs : { args: inputs } })
      return new Promise<Awaited<ReturnType<typeof run>>>((resolve) => resolve(run(inputs) as never)).then(
        (value) => {
          span.end(value === undefined ? undefined : { outputs: isPlain(value) ? value : { result: value } })
          return value
        },
        (error: unknown) => {
          span.fail(error)
          throw error
        },
      )
    },
  }
}

/** Starts timing one event of `type`; its `end()` or `fail()` logs it once through `host`. */
export function startSpan(
  host: SpanHost,
  type: EventType,
  init?: ModelEvent,
  parentId?: string,
): Span & ModelEventSpan {
  const startedAt = performance.now()
  const start_time = Date.now()
  let event_id = randomId()
  try {
    event_id = init?.event_id ?? event_id
    // The input as it was at the start: a page that pushes the reply onto its `messages` while the call
    // streams must not change what the call was sent. What cannot be cloned (a function) is kept as given.
    init = init && structuredClone(init)
  } catch {
    // A revoked proxy or throwing getter as init: the span keeps its own id, end() reports the rest.
  }
  const children: string[] = []
  let ended = false
  let firstTokenMs: number | undefined
  const finish = (read: () => ModelEventResult | undefined): string => {
    // Marked ended before logging: onError or beforeSend may call end() again from inside log().
    if (ended) {
      host.report(new DroppedError('already_ended', `end()/fail() again on ${event_id}: ignored`, [event_id]))
      return event_id
    }
    ended = true
    return host.record(() => {
      const event: ModelEvent = {
        event_type: type,
        parent_id: parentId,
        ...init,
        start_time,
        end_time: Date.now(),
        duration: performance.now() - startedAt,
        ...read(),
        event_id,
      }
      if (children.length > 0) event.children_ids ??= children
      // A metadata that is not an object is left for the schema to refuse.
      if (firstTokenMs !== undefined && typeof (event.metadata ?? {}) === 'object') {
        event.metadata = { time_to_first_token_ms: firstTokenMs, ...event.metadata }
      }
      return event
    }, event_id)
  }
  return {
    event_id,
    end: (result) => finish(() => result),
    fail: (error, result) => finish(() => ({ ...result, error: message(error) })),
    firstToken() {
      firstTokenMs ??= performance.now() - startedAt
    },
    ...spanParent(host, event_id, children),
  }
}
