import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { bundle } from '../helpers/bundle.js'
import { gate } from '../helpers/runtime-suite.js'
import { scenariosFor, scenarioTimeoutMs, type Entries } from '../scenarios/index.js'
import { startUpstream } from '../workers/upstream.js'

// Vercel's Edge Runtime, as the `edge-runtime` package emulates it: the built entries bundled into one
// edge-function script (function.ts), evaluated by EdgeVM and served by runServer on loopback. The
// scenarios run inside the VM, with its fetch, Request, crypto and timers; the fake HoneyHive runs here.

const require = createRequire(import.meta.url)
const versionOf = (name: string) => {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version
  } catch {
    return undefined
  }
}
const versions = { runtime: versionOf('edge-runtime'), vm: versionOf('@edge-runtime/vm') }
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
// Vercel resolves packages for edge functions with these export conditions.
const conditions = ['edge-light', 'worker', 'browser']
const key = 'hh-edge-runtime-key-6d03'

if (
  gate(
    'edge-runtime',
    Boolean(versions.runtime && versions.vm),
    'the edge-runtime and @edge-runtime/vm packages are missing: run `npm ci`',
  )
) {
  let upstream: Awaited<ReturnType<typeof startUpstream>>
  let server: { url: string; close(): Promise<void>; waitUntil(): Promise<unknown> }
  let evaluate: <T>(code: string) => T
  beforeAll(async () => {
    const { EdgeRuntime, runServer } = await import('edge-runtime')
    const [functionCode, entriesCode] = await Promise.all([
      bundle(here('./function.ts'), { format: 'iife', name: 'edgeFunction', conditions }),
      bundle(here('./entries.ts'), { format: 'iife', name: 'freshEntries', conditions }),
    ])
    upstream = await startUpstream(key)
    const harness = {
      url: '',
      upstream: { url: upstream.url, key },
      settled: () => server.waitUntil().then(() => undefined),
      importFresh: () => evaluate<Entries>(`${entriesCode}\nfreshEntries`),
    }
    const edge = new EdgeRuntime({ extend: (context) => Object.assign(context, { harness }) })
    evaluate = (code) => edge.evaluate(code)
    edge.evaluate(functionCode)
    server = await runServer({ runtime: edge, host: '127.0.0.1' })
    harness.url = server.url.replace(/\/$/, '')
  })
  afterAll(async () => {
    await server?.close()
    await upstream?.close()
  })

  describe(`Vercel's Edge Runtime (edge-runtime ${versions.runtime}, @edge-runtime/vm ${versions.vm})`, () => {
    test('the scenarios run inside the Edge Runtime, without Node globals', () => {
      expect(evaluate('[typeof EdgeRuntime, typeof process, typeof require, typeof edgeFunction.run]')).toEqual([
        'string',
        'undefined',
        'undefined',
        'function',
      ])
    })
    for (const scenario of scenariosFor('edge-runtime')) {
      test(
        scenario.name,
        () => evaluate<{ run(name: string): Promise<void> }>('edgeFunction').run(scenario.name),
        scenarioTimeoutMs,
      )
    }
  })
}
