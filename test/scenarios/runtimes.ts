import type { Capability, Runtime } from './runtime.js'

// Runtime differences live here, as data with a comment naming the runtime, not in copied tests.

/**
 * What each runtime's harness provides; a scenario runs where everything it `needs` is provided.
 * `waitUntil`: served handlers get `ctx.waitUntil`, and the relay answers 202 before delivering.
 */
export const runtimes = {
  node: ['relay', 'serve', 'process', 'fresh'],
  // Bun: Bun.serve passes its Server as the second argument, which has no waitUntil.
  bun: ['relay', 'serve', 'process', 'fresh'],
  // Deno: Deno.serve passes { remoteAddr, completed }, which has no waitUntil.
  deno: ['relay', 'serve', 'process', 'fresh'],
  // Vercel's Edge Runtime: edge functions answer requests; there is no process to start or to exit.
  'edge-runtime': ['relay', 'serve', 'waitUntil', 'fresh'],
  // workerd: a Worker answers requests (ExecutionContext.waitUntil); there is no process to exit.
  workerd: ['relay', 'serve', 'waitUntil', 'fresh'],
  // Chromium: a page serves nothing and starts no processes; the relay is a server's job.
  chromium: ['fresh'],
} satisfies Record<RuntimeName, Capability[]>

export type RuntimeName = Runtime['name']

/** Where the client behaves differently in one runtime by design, as data the scenarios read. */
export const quirks = {
  // Chromium: ordinary batches go out with keepalive (while ours in flight stay under 48 KiB) so that a
  // batch in flight survives the tab closing (src/unload.ts). No other runtime has a page to lose.
  keepaliveBatches: ['chromium'] as RuntimeName[],
}
