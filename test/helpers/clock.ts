import { vi } from 'vitest'

/** Advances vitest's fake clock in 10 ms steps until `work` settles; resolves or rejects as it does. */
export async function settle<T>(work: Promise<T>): Promise<T> {
  let done = false
  work.then(
    () => (done = true),
    () => (done = true),
  )
  while (!done) await vi.advanceTimersByTimeAsync(10)
  return work
}
