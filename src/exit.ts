// Node, Bun and Deno end a script when its event loop empties, and the client's timers are unref'd so that
// they never hold it open: just before the end, each client with queued events delivers them (issue 12).
// Registered with the first queued event, never at import time; never in browsers or Workers.

const drains = new Set<() => unknown>()
/**
 * Drains that have run are never held again: the end of a script is its clients' shutdown. Else an onError
 * that logs each report as an event would start a new 10 s drain at each end of the loop, never ending.
 */
const ran = new WeakSet<() => unknown>()
let hooked: boolean | undefined

/** Runs `drain` once when the script's event loop is about to empty (work it starts keeps the loop alive). */
export function holdExit(drain: () => unknown): void {
  if (ran.has(drain)) return
  drains.add(drain)
  if (hooked) return
  hooked = true
  const runtime = globalThis as {
    Deno?: unknown
    document?: unknown
    navigator?: { userAgent?: string }
    process?: { on?: Function }
    addEventListener?: Function
  }
  const run = (event?: { preventDefault?: () => void }): void => {
    const due = [...drains]
    drains.clear()
    for (const each of due) {
      ran.add(each)
      each()
    }
    // Deno ends anyway unless the event is cancelled (work scheduled from it is not enough, unlike Node's
    // beforeExit); the next one, with nothing due, lets it end.
    if (due.length > 0) event?.preventDefault?.()
  }
  // Deno dispatches `beforeunload` on globalThis when its loop is about to end.
  if (runtime.Deno) runtime.addEventListener!('beforeunload', run)
  // Node and Bun; not a page (a bundler's `process` shim; there `beforeunload` means leaving the page) and
  // not Workers, whose nodejs_compat `process` never exits.
  else if (!runtime.document && runtime.navigator?.userAgent !== 'Cloudflare-Workers')
    runtime.process?.on?.('beforeExit', run)
}

/** Forgets `drain` (its queue is empty, or its client was shut down). */
export const releaseExit = (drain: () => unknown): void => void drains.delete(drain)
