// Types for `tsc` only (Deno brings its own): the bits of the Deno namespace the Deno tests and example use,
// and the self-contained bundle typed as the package's main entry.
declare namespace Deno {
  const env: { get(name: string): string | undefined }
  function test(name: string, fn: () => void | Promise<void>): void
  function exit(code?: number): never
  function serve(
    options: { hostname?: string; port?: number; onListen?: (address: unknown) => void },
    handler: (
      request: Request,
      info: { remoteAddr: unknown; completed: Promise<void> },
    ) => Response | Promise<Response>,
  ): { addr: unknown; finished: Promise<void>; shutdown(): Promise<void> }
  function execPath(): string
  class Command {
    constructor(command: string, options: { args: string[]; stdout: 'piped'; stderr: 'piped' })
    spawn(): {
      kill(signal: string): void
      output(): Promise<{ code: number; signal: string | null; stdout: Uint8Array; stderr: Uint8Array }>
    }
  }
  interface NetAddr {
    hostname: string
    port: number
  }
}
declare module '*/honeyhive-edge.min.js' {
  export * from 'honeyhive-edge'
}
