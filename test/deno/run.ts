// Runs the shared scenarios inside Deno, started by deno.test.ts (which owns the fake HoneyHive: HH_TEST_URL,
// HH_TEST_KEY). The client is the self-contained bundle, as a Deno URL import loads it; the relay is
// dist/relay.js with ky and valibot mapped by ./deno.json to the installed copies (users: npm:honeyhive-edge/relay).
// @ts-types="../../dist/index.d.ts"
import * as client from '../../dist/honeyhive-edge.min.js'
// @ts-types="../../dist/relay.d.ts"
import * as relay from '../../dist/relay.js'
import { reportScenarios, type Runtime } from '../scenarios/index.js'

const dist = (file: string) => new URL(`../../dist/${file}`, import.meta.url).href
let fresh = 0

const runtime: Runtime = {
  name: 'deno',
  client,
  relay,
  upstream: { url: Deno.env.get('HH_TEST_URL')!, key: Deno.env.get('HH_TEST_KEY')! },
  clientUrl: dist('honeyhive-edge.min.js'),
  async serve(handler) {
    // As a user writes Deno.serve(relay): Deno passes { remoteAddr, completed } as the second argument.
    const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, (request, info) =>
      handler(request, info as never),
    )
    const origin = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`
    return {
      fetch: (path, init) => fetch(origin + path, init),
      waitUntil: false,
      settled: async () => {},
      close: () => server.shutdown(),
    }
  },
  async runScript(code) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ['eval', '--no-config', code],
      stdout: 'piped',
      stderr: 'piped',
    }).spawn()
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    const { code: exitCode, signal, stdout, stderr } = await child.output()
    clearTimeout(timer)
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
    return { exitCode: signal ? null : exitCode, output: text(stdout) + text(stderr) }
  },
  async importFresh() {
    fresh++
    return {
      client: await import(`${dist('honeyhive-edge.min.js')}?fresh=${fresh}`),
      relay: await import(`${dist('relay.js')}?fresh=${fresh}`),
    }
  },
}

await reportScenarios('deno', runtime)
