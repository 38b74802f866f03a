// The one timer of a delivery engine and its pauses (issue 20). The clock comes in as an argument (ofetch's
// habit), so that tests run it on a fake clock instead of waiting (test/scheduler.test.ts).

/** What the scheduler needs of time: the system's (`systemClock`) or a test's. */
export interface Clock {
  now(): number
  setTimeout(run: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The runtime's clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/** The pauses and the one timer that calls `fire` when the next background send is due. */
export interface Scheduler {
  /** Ms until a send may go: a forced one (flush) waits for the server's pause only, others for our backoff too. */
  waitMs(force: boolean): number
  /** Holds every send for `ms` (a server's Retry-After). */
  pauseForServer(ms: number): void
  /** Holds background sends for `ms` (our backoff after a failed round); flush() still tries at once. */
  backOff(ms: number): void
  /** Ends our backoff (a round went through). */
  recover(): void
  /**
   * Calls `fire` in `delayMs`, or when the pause ends if that is later. A timer already due sooner stays;
   * one due later is moved forward (the oldest event's timer wins; a backoff shorter than it wins too).
   */
  schedule(delayMs: number): void
  /** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /** Resolves when `work` settles or after `ms` (when given), whichever comes first; never rejects. */
  within(ms: number | undefined, work: Promise<unknown>): Promise<void>
  /** Clears the timer. */
  cancel(): void
}

export function createScheduler(clock: Clock, fire: () => void): Scheduler {
  let handle: unknown
  let dueAt = Infinity
  let pausedUntil = 0
  let backoffUntil = 0
  const scheduler: Scheduler = {
    waitMs: (force) => Math.max(0, (force ? pausedUntil : Math.max(pausedUntil, backoffUntil)) - clock.now()),
    pauseForServer(ms) {
      pausedUntil = clock.now() + ms
    },
    backOff(ms) {
      backoffUntil = clock.now() + ms
    },
    recover() {
      backoffUntil = 0
    },
    schedule(delayMs) {
      const now = clock.now()
      const due = now + Math.max(delayMs, scheduler.waitMs(false))
      // A timer overdue by over a second is taken as lost (a Worker's request ended with it pending) and replaced.
      if (dueAt <= due && now - dueAt < 1000) return
      scheduler.cancel()
      dueAt = due
      handle = clock.setTimeout(() => {
        handle = undefined
        dueAt = Infinity
        fire()
      }, due - clock.now())
      // Node, Bun and Deno: a pending background send never keeps a process alive (exit.ts delivers before
      // the end); the waits of a flush or shutdown in progress do.
      ;(handle as { unref?: () => void }).unref?.()
    },
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        if (signal?.aborted) return resolve()
        const done = (): void => {
          clock.clearTimeout(timer)
          signal?.removeEventListener('abort', done)
          resolve()
        }
        const timer = clock.setTimeout(done, ms)
        signal?.addEventListener('abort', done)
      }),
    within: (ms, work) =>
      new Promise((resolve) => {
        const done = (): void => {
          if (timer !== undefined) clock.clearTimeout(timer)
          resolve()
        }
        const timer = ms === undefined ? undefined : clock.setTimeout(done, ms)
        work.then(done, done)
      }),
    cancel() {
      if (handle !== undefined) clock.clearTimeout(handle)
      handle = undefined
      dueAt = Infinity
    },
  }
  return scheduler
}
