import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { inject, test } from 'vitest'
import * as client from '../../dist/index.js'
import * as relay from '../../dist/relay.js'
import { runScenario, scenariosFor, scenarioTimeoutMs, type Runtime } from '../scenarios/index.js'
import { workersKey } from './upstream.js'

// The shared scenarios inside workerd, on the built entries. A served handler is called as workerd calls a
// Worker's fetch: with an ExecutionContext whose waitUntil work `settled()` awaits.
let fresh = 0

const runtime: Runtime = {
  name: 'workerd',
  client,
  relay,
  upstream: { url: inject('scenarioUpstreamUrl'), key: workersKey },
  async serve(handler) {
    const contexts: Array<ReturnType<typeof createExecutionContext>> = []
    const settled = async () => {
      for (const ctx of contexts.splice(0)) await waitOnExecutionContext(ctx)
    }
    return {
      async fetch(path, init) {
        const ctx = createExecutionContext()
        contexts.push(ctx)
        return handler(new Request(`https://worker.example.com${path}`, init), ctx)
      },
      waitUntil: true,
      settled,
      close: settled,
    }
  },
  async importFresh() {
    fresh++
    const load = (file: string) =>
      import(/* @vite-ignore */ `${new URL(`../../dist/${file}`, import.meta.url).href}?fresh=${fresh}`)
    return { client: await load('index.js'), relay: await load('relay.js') }
  },
}

for (const scenario of scenariosFor('workerd')) {
  test(scenario.name, () => runScenario(runtime, scenario.name), scenarioTimeoutMs)
}
