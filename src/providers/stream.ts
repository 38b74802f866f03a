// The one stream observer the provider integrations share. It watches a stream without consuming it
// or changing what the caller sees, and reports how it ended exactly once.

/** How a model call ended. */
export type Status = 'success' | 'error' | 'cancelled'

/** Called once, when the observed stream ends; a stop passes what stopped it (an abort error or reason). */
export type Settle = (status: Status, error?: unknown) => void

type Any = any

/** Whether `error` is an abort (a call stopped, not failed): by its name, or by its class, since openai's `APIUserAbortError` is named 'Error'. */
export const isAbort = (error: Any): boolean => /Abort/.test(error?.name + error?.constructor?.name)

/**
 * `settle`, once: at the first call, or (a macrotask later) at the abort of `signal`, since a stopped stream
 * may never be read again. A macrotask, because the SDKs abort their own controller on the way out of a
 * failing stream (field notes §9), before the error reaches the reader. The abort listener goes at settle:
 * on a caller's long-lived signal it would hold each call's reply until the signal dies (issue 22).
 */
function once(settle: Settle, signal?: AbortSignal): Settle {
  let done = false
  const abort = () => setTimeout(() => end('cancelled', signal!.reason))
  const end: Settle = (status, error) => {
    if (done) return
    done = true
    signal?.removeEventListener?.('abort', abort)
    settle(status, error)
  }
  signal?.addEventListener?.('abort', abort)
  return end
}

/**
 * Observes, in place, what an openai or @anthropic-ai/sdk call resolved: a helper stream (`.stream()`, an
 * event emitter with `on`, `aborted`, `done()`) through its `event` and `end` events, or a raw
 * `Stream` through its iterator, which `for await`, `toReadableStream()` and `tee()` all read. Returns
 * false when `value` is neither (a plain result).
 */
export function observeStainless(value: Any, event: string, chunk: (chunk: unknown) => void, settle: Settle): boolean {
  if (value?.on && value.done) {
    const end = once(settle)
    value.on(event, chunk)
    // Listening for 'error' or 'abort' would silence the helper's own unhandled rejection; after 'end', done() tells how it ended.
    value.on('end', () =>
      value.done().then(
        () => end('success'),
        (error: unknown) => end(value.aborted ? 'cancelled' : 'error', error),
      ),
    )
    return true
  }
  // The Stainless `Stream` keeps its source in `iterator`; tee() reads it there, past Symbol.asyncIterator.
  const key = value?.iterator ? 'iterator' : Symbol.asyncIterator
  if (!value?.[key] || !value.controller) return false
  const signal: AbortSignal | undefined = value.controller.signal
  const end = once(settle, signal)
  // Created once per stream, not per chunk: a long stream calls next() thousands of times.
  const tap = (result: IteratorResult<unknown>) => {
    if (result.done) end(signal?.aborted ? 'cancelled' : 'success', signal?.reason)
    else chunk(result.value)
    return result
  }
  // An abort error is told from a failure where the event is made (track.ts).
  const rethrow = (error: unknown) => {
    end('error', error)
    throw error
  }
  // Replaces `value[key]` by an iterator that reads each chunk with `next` and settles on `return()`: `break`,
  // a throw in the loop body, or a cancelled readable (the caller stopped early).
  const patch = (key: string | symbol, next: (source: AsyncIterator<unknown>) => () => unknown) => {
    const open = value[key]
    value[key] = (...args: unknown[]) => {
      const source: AsyncIterator<unknown> = open.apply(value, args)
      return {
        next: next(source),
        return: (result?: unknown) => {
          end('cancelled')
          return source.return?.(result) ?? { done: true, value: result }
        },
      }
    }
  }
  // openai 7.59 wraps a chat stream's iterator in a generator of its own (normalizeChatCompletionStream), which
  // never opens `iterator` when closed before its first next(): its return() must settle too (issue 22).
  if (Object.hasOwn(value, Symbol.asyncIterator)) patch(Symbol.asyncIterator, (source) => () => source.next())
  // The caller gets the SDK's result (its very error object included) after the observer read it: one
  // reaction per chunk (reading on the side of the SDK's promise measured 2-3 % slower, bench/providers.mjs).
  // tap never throws: the chunk and settle handlers catch everything.
  patch(key, (source) => () => source.next().then(tap, rethrow))
  return true
}

/**
 * Returns a stream that passes every part of `source` through unchanged, calling `chunk` on each, and
 * `settle` once: at its end, its error, its cancel, or (a macrotask later) the abort of `signal`.
 */
export function observeReadable<T>(
  source: ReadableStream<T>,
  chunk: (part: T) => void,
  settle: Settle,
  signal?: AbortSignal,
): ReadableStream<T> {
  const end = once(settle, signal)
  const reader = source.getReader()
  return new ReadableStream<T>({
    async pull(controller) {
      try {
        const result = await reader.read()
        if (result.done) {
          end(signal?.aborted ? 'cancelled' : 'success', signal?.reason)
          controller.close()
        } else {
          chunk(result.value)
          controller.enqueue(result.value)
        }
      } catch (error) {
        end(signal?.aborted ? 'cancelled' : 'error', error)
        controller.error(error)
      }
    },
    cancel(reason) {
      end('cancelled')
      return reader.cancel(reason)
    },
  })
}
