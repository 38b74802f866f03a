// The one stream observer the provider integrations share. It watches a stream without consuming it
// or changing what the caller sees, and reports how it ended exactly once.

/** How a model call ended. */
export type Status = 'success' | 'error' | 'cancelled'

/** Called once, when the observed stream ends. */
export type Settle = (status: Status, error?: unknown) => void

type Any = any

/** Whether `error` is an abort (a call stopped, not failed): by its name, or by its class, since openai's `APIUserAbortError` is named 'Error'. */
export const isAbort = (error: Any): boolean => /Abort/.test(error?.name + error?.constructor?.name)

const once = (settle: Settle): Settle => {
  let done = false
  return (status, error) => {
    if (done) return
    done = true
    settle(status, error)
  }
}

// A stopped stream may never be read again: settle on the signal too, but a macrotask later, because the
// SDKs abort their own controller on the way out of a failing stream (field notes §9), before the error
// reaches the reader.
const onAbort = (signal: AbortSignal | undefined, settle: Settle) =>
  signal?.addEventListener?.('abort', () => {
    setTimeout(() => settle('cancelled'))
  })

/**
 * Observes, in place, what an openai or @anthropic-ai/sdk call resolved: a helper stream (`.stream()`, an
 * event emitter with `on`, `aborted`, `done()`) through its `event` and `end` events, or a raw
 * `Stream` through its iterator, which `for await`, `toReadableStream()` and `tee()` all read. Returns
 * false when `value` is neither (a plain result).
 */
export function observeStainless(value: Any, event: string, chunk: (chunk: unknown) => void, settle: Settle): boolean {
  const end = once(settle)
  if (value?.on && value.done) {
    value.on(event, chunk)
    // Listening for 'error' or 'abort' would silence the helper's own unhandled rejection; after 'end', done() tells how it ended.
    value.on('end', () => value.done().then(() => end('success'), (error: unknown) => end(value.aborted ? 'cancelled' : 'error', error)))
    return true
  }
  // The Stainless `Stream` keeps its source in `iterator`; tee() reads it there, past Symbol.asyncIterator.
  const key = value?.iterator ? 'iterator' : Symbol.asyncIterator
  const open = value?.[key]
  if (!open || !value.controller) return false
  const signal: AbortSignal | undefined = value.controller.signal
  onAbort(signal, end)
  // Created once per stream, not per chunk: a long stream calls next() thousands of times.
  const read = (result: IteratorResult<unknown>) => (result.done ? end(signal?.aborted ? 'cancelled' : 'success') : chunk(result.value))
  const fail = (error: unknown) => end(isAbort(error) ? 'cancelled' : 'error', error)
  const tap = (result: IteratorResult<unknown>) => (read(result), result)
  const rethrow = (error: unknown) => {
    fail(error)
    throw error
  }
  value[key] = (...args: unknown[]) => {
    const source: AsyncIterator<unknown> = open.apply(value, args)
    return {
      // The caller gets the SDK's result (its very error object included) after the observer read it: one
      // reaction per chunk (reading on the side of the SDK's promise measured 2-3 % slower, bench/providers.mjs).
      // tap never throws: the chunk and settle handlers catch everything.
      next: () => source.next().then(tap, rethrow),
      // `break`, a throw in the loop body, or a cancelled readable: the caller stopped early.
      return: (result?: unknown) => (end('cancelled'), source.return?.(result) ?? { done: true, value: result }),
    }
  }
  return true
}

/**
 * Returns a stream that passes every part of `source` through unchanged, calling `chunk` on each, and
 * `settle` once: at its end, its error, its cancel, or (a macrotask later) the abort of `signal`.
 */
export function observeReadable<T>(source: ReadableStream<T>, chunk: (part: T) => void, settle: Settle, signal?: AbortSignal): ReadableStream<T> {
  const end = once(settle)
  const reader = source.getReader()
  onAbort(signal, end)
  return new ReadableStream<T>({
    async pull(controller) {
      try {
        const result = await reader.read()
        if (result.done) end(signal?.aborted ? 'cancelled' : 'success'), controller.close()
        else chunk(result.value), controller.enqueue(result.value)
      } catch (error) {
        end(isAbort(error) || signal?.aborted ? 'cancelled' : 'error', error)
        controller.error(error)
      }
    },
    cancel(reason) {
      end('cancelled')
      return reader.cancel(reason)
    },
  })
}
