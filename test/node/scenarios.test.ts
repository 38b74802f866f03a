import { spawn } from 'node:child_process'
import { constants, runInThisContext } from 'node:vm'
import { afterAll, beforeAll, test } from 'vitest'
import * as client from '../../dist/index.js'
import { serve } from '../../dist/node.js'
import * as relay from '../../dist/relay.js'
import { runScenario, scenariosFor, scenarioTimeoutMs, type Runtime } from '../scenarios/index.js'
import { startUpstream } from '../workers/upstream.js'

// The shared scenarios in Node, on the built entries. `npm test` runs this project on every Node line the
// package claims (scripts/node-lines.mjs), so this file runs on each of them.

const dist = (file: string) => new URL(`../../dist/${file}`, import.meta.url).href
// Node's own loader, not vitest's module runner (whose RPC starts timers): a fresh copy is evaluated as a
// cold start would.
const nativeImport = runInThisContext('(url) => import(url)', {
  importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
}) as (url: string) => Promise<never>
let fresh = 0

const runtime = { name: 'node', client, relay } as Runtime
let upstream: Awaited<ReturnType<typeof startUpstream>>
beforeAll(async () => {
  upstream = await startUpstream('hh-node-scenarios-key-77e2')
  Object.assign(runtime, {
    upstream: { url: upstream.url, key: 'hh-node-scenarios-key-77e2' },
    clientUrl: dist('index.js'),
    async serve(handler) {
      const server = await serve((request) => handler(request))
      return {
        fetch: (path, init) => fetch(server.url + path, init),
        waitUntil: false,
        settled: async () => {},
        close: server.close,
      }
    },
    runScript: (code) => runNode(code),
    async importFresh() {
      fresh++
      return {
        client: await nativeImport(`${dist('honeyhive-edge.min.js')}?fresh=${fresh}`),
        relay: await nativeImport(`${dist('relay.js')}?fresh=${fresh}`),
      }
    },
  } satisfies Partial<Runtime>)
})
afterAll(() => upstream?.close())

/** Runs an ES module in a new process of the Node running this suite; kills it after 10 s. */
function runNode(code: string): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('error', reject)
    child.once('close', (exitCode, signal) => resolve({ exitCode: signal ? null : exitCode, output }))
  })
}

for (const scenario of scenariosFor('node')) {
  test(scenario.name, () => runScenario(runtime, scenario.name), scenarioTimeoutMs)
}
