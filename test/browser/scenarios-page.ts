import { runScenario, type Entries, type Runtime } from '../scenarios/index.js'

// Bundled into the test page by scenarios.test.ts: the shared scenarios in Chromium, on the built
// self-contained bundle the page loads itself (/honeyhive-edge.min.js). The page origin forwards the batch
// route and the fake's control API to the loopback fake HoneyHive, so the client posts same-origin.

let fresh = 0

/** Makes the scenarios runnable from `page.evaluate`; `client` is the page's import of the built bundle. */
export function start(client: Entries['client'], key: string): (name: string) => Promise<void> {
  const runtime: Runtime = {
    name: 'chromium',
    client,
    upstream: { url: location.origin, key },
    async importFresh() {
      fresh++
      const url = `/honeyhive-edge.min.js?fresh=${fresh}`
      return { client: (await import(url)) as Entries['client'] }
    },
  }
  return (name) => runScenario(runtime, name)
}
