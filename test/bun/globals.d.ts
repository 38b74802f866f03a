// Types for `tsc` only (Bun brings its own; @types/bun is not a dependency): the bits of Bun's API the
// Bun runner uses.
declare namespace Bun {
  const env: Record<string, string | undefined>
  const version: string
  function serve(options: {
    hostname?: string
    port?: number
    fetch(request: Request, server: unknown): Response | Promise<Response>
  }): { port: number; stop(closeActiveConnections?: boolean): Promise<void> }
  function spawn(
    command: string[],
    options?: { stdout?: 'pipe'; stderr?: 'pipe'; timeout?: number; killSignal?: string },
  ): {
    exited: Promise<number>
    signalCode: string | null
    stdout: ReadableStream<Uint8Array>
    stderr: ReadableStream<Uint8Array>
  }
  function which(command: string): string | null
}
