// The few `cloudflare:test` helpers this suite uses, typed structurally so that `tsc` needs no
// @cloudflare/workers-types (the full types: @cloudflare/vitest-pool-workers/types).
declare module 'cloudflare:test' {
  /** An ExecutionContext whose waitUntil promises `waitOnExecutionContext` can await. */
  export function createExecutionContext(): {
    waitUntil(promise: Promise<unknown>): void
    passThroughOnException(): void
  }
  export function waitOnExecutionContext(ctx: unknown): Promise<void>
  /** The bindings of the test Worker. */
  export const env: Record<string, string>
}
