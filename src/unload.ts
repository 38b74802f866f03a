import type { Delivery } from './delivery.js'
import type { HoneyHiveError } from './errors.js'
import type { ResolvedOptions } from './options.js'

/** What the page-hide module needs from the client. */
export interface PageContext {
  options: ResolvedOptions
  /** The batch's session fields as JSON members (`,"single_session":true`), or ''. */
  tail: string
  delivery: Delivery
  report: (error: HoneyHiveError) => void
  debug: (message: string) => void
}

/** The page-hide hooks of one client, in browsers only. */
export interface PageHooks {
  /** Whether an ordinary batch of `bytes` may use `keepalive`; returns a release callback when it may. */
  keepalive(bytes: number): (() => void) | undefined
  /** Removes listeners (called by `shutdown()`). */
  stop(): void
}

/**
 * In browsers (where `document` and `addEventListener` exist): drains the queue when the page is hidden
 * and resends what a previous page left in storage. Elsewhere returns undefined and does nothing.
 * TODO(issue 4): implementation.
 */
export function watchPageHide(_context: PageContext): PageHooks | undefined {
  return undefined
}
