import type * as ClientEntry from '../../src/index.js'
import type * as RelayEntry from '../../src/relay.js'

// What a runtime's thin harness hands to the shared scenarios. Only web-standard globals are used here:
// the same file runs in Node, Bun, Deno, workerd, Vercel's Edge Runtime and Chromium.

/** A fetch handler as the runtime calls it: Workers and edge functions pass a context with `waitUntil`. */
export type Handler = (
  request: Request,
  ctx?: { waitUntil(promise: Promise<unknown>): void },
) => Response | Promise<Response>

/** A handler served the way the runtime serves one (`Bun.serve`, `Deno.serve`, an edge function, a Worker). */
export interface Served {
  /** Sends a request to the handler as a caller of that runtime would; `path` starts with `/`. */
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** True where the handler gets `ctx.waitUntil` and its work goes on after the response (Workers, edge functions). */
  waitUntil: boolean
  /** Resolves once the work handed to `waitUntil` so far is done; at once where there is none. */
  settled(): Promise<void>
  close(): Promise<void>
}

/** What one run of a script in a new process of the runtime gave. */
export interface ScriptRun {
  /** `null` when the harness had to kill the process (it did not exit by itself). */
  exitCode: number | null
  /** stdout and stderr, in order. */
  output: string
}

/** The built entries, as this runtime loads them. */
export interface Entries {
  client: typeof ClientEntry
  /** Absent where the runtime serves nothing (a browser page). */
  relay?: typeof RelayEntry
}

/** One runtime under test, as its harness builds it. */
export interface Runtime extends Entries {
  /** Which runtime this is, as `runtimes` in ./index.ts names it. */
  name: 'node' | 'bun' | 'deno' | 'edge-runtime' | 'workerd' | 'chromium'
  /** The loopback fake HoneyHive (test/workers/upstream.ts) and the key it requires. */
  upstream: { url: string; key: string }
  /** Serves `handler` with the runtime's own server or edge-function machinery. */
  serve?(handler: Handler): Promise<Served>
  /** Runs an ES module in a new process of this runtime; `clientUrl` is the built client entry it may import. */
  runScript?(code: string): Promise<ScriptRun>
  /** Where `runScript` code imports the built client from. */
  clientUrl?: string
  /** Evaluates the built entries again, as a cold start would, and resolves the new copies. */
  importFresh?(): Promise<Entries>
}

/** The parts of a runtime a scenario may need, beyond the client. */
export type Capability = 'relay' | 'serve' | 'waitUntil' | 'process' | 'fresh'

/** One shared behaviour, run by every runtime whose harness provides what it `needs`. Names are sentences. */
export interface Scenario {
  name: string
  needs: Capability[]
  run(runtime: Runtime): Promise<void>
}
