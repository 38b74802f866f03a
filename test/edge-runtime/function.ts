import type { Entries, Handler, Runtime } from '../scenarios/index.js'
import { runScenario } from '../scenarios/index.js'
import { client, relay } from './entries.js'

// The edge function, evaluated inside Vercel's Edge Runtime (edge-runtime's EdgeVM) by edge-runtime.test.ts:
// each request arrives as a FetchEvent and the handler gets `waitUntil`, as `@vercel/functions` hands it on.

/** What the Node side puts into the runtime's global scope before this script runs. */
interface Harness {
  /** Where edge-runtime's runServer serves this function. */
  url: string
  upstream: Runtime['upstream']
  /** Resolves once every waitUntil promise of the requests so far is done. */
  settled(): Promise<void>
  /** Evaluates the entries' bundle again in this runtime. */
  importFresh(): Entries
}
declare const harness: Harness
declare function addEventListener(
  type: 'fetch',
  listener: (event: {
    request: Request
    respondWith(response: Promise<Response>): void
    waitUntil(promise: Promise<unknown>): void
  }) => void,
): void

let current: Handler | undefined
addEventListener('fetch', (event) => {
  const handler = current ?? (() => new Response('no handler is being served', { status: 503 }))
  event.respondWith(Promise.resolve(handler(event.request, { waitUntil: (promise) => event.waitUntil(promise) })))
})

const runtime: Runtime = {
  name: 'edge-runtime',
  client,
  relay,
  upstream: harness.upstream,
  async serve(handler) {
    current = handler
    return {
      fetch: (path, init) => fetch(harness.url + path, init),
      waitUntil: true,
      settled: () => harness.settled(),
      close: async () => {
        await harness.settled()
        current = undefined
      },
    }
  },
  importFresh: async () => harness.importFresh(),
}

/** Runs one shared scenario in this runtime; called by the Node side. */
export const run = (name: string): Promise<void> => runScenario(runtime, name)
