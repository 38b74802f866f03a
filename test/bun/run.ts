// Runs the shared scenarios inside Bun on the built entries (ky and valibot resolved from node_modules, as
// Bun runs a user's project). Started by bun.test.ts, which owns the fake HoneyHive (HH_TEST_URL, HH_TEST_KEY).
import * as client from '../../dist/index.js'
import * as relay from '../../dist/relay.js'
import { reportScenarios, type Runtime } from '../scenarios/index.js'

const dist = (file: string) => new URL(`../../dist/${file}`, import.meta.url).href
let fresh = 0

const runtime: Runtime = {
  name: 'bun',
  client,
  relay,
  upstream: { url: Bun.env.HH_TEST_URL!, key: Bun.env.HH_TEST_KEY! },
  clientUrl: dist('index.js'),
  async serve(handler) {
    // As a user writes it: Bun.serve({ fetch: relay }); Bun passes its Server as the second argument.
    const server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: handler as (request: Request, server: unknown) => Promise<Response>,
    })
    const origin = `http://127.0.0.1:${server.port}`
    return {
      fetch: (path, init) => fetch(origin + path, init),
      waitUntil: false,
      settled: async () => {},
      close: () => server.stop(true),
    }
  },
  async runScript(code) {
    const child = Bun.spawn([process.execPath, '-e', code], {
      stdout: 'pipe',
      stderr: 'pipe',
      timeout: 10_000,
      killSignal: 'SIGKILL',
    })
    const [output, errors] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ])
    return { exitCode: child.signalCode ? null : await child.exited, output: output + errors }
  },
  async importFresh() {
    fresh++
    // Bun ignores a query on a file: URL (the cached module comes back); on a path it loads a new copy.
    const path = (file: string) => `${new URL(dist(file)).pathname}?fresh=${fresh}`
    return { client: await import(path('index.js')), relay: await import(path('relay.js')) }
  },
}

await reportScenarios('bun', runtime)
