import { equal, lacks, ok } from './assert.js'
import type { Scenario } from './runtime.js'
import { upstreamOf } from './upstream.js'

// What the host sees of the client's life: nothing at import, nothing left running after shutdown().

type Watched = 'setTimeout' | 'setInterval' | 'fetch' | 'addEventListener'

/** Runs `body` with the runtime's timer, fetch and listener globals counted; resolves the names called. */
async function counting(names: Watched[], body: () => Promise<void> | void): Promise<string[]> {
  const scope = globalThis as unknown as Record<string, unknown>
  const originals = Object.fromEntries(
    names.filter((name) => typeof scope[name] === 'function').map((name) => [name, scope[name]]),
  )
  const calls: string[] = []
  for (const [name, original] of Object.entries(originals)) {
    scope[name] = function (this: unknown, ...args: unknown[]) {
      calls.push(name)
      return (original as (...args: unknown[]) => unknown).apply(this, args)
    }
  }
  try {
    await body()
  } finally {
    Object.assign(scope, originals)
  }
  return calls
}

/** Runs first: Node's fetch (undici) sets timers for its open connections at any moment, and there are none yet. */
export const importScenario: Scenario = {
  // Workers refuse timers and I/O at module scope, and so must every edge function (field notes §3).
  name: 'loading the built entries starts no timer, fetch or listener, and creating a client and a relay starts no timer or fetch',
  needs: ['fresh'],
  async run(runtime) {
    const { key, url } = runtime.upstream
    let fresh: Awaited<ReturnType<NonNullable<typeof runtime.importFresh>>> | undefined
    const atImport = await counting(['setTimeout', 'setInterval', 'fetch', 'addEventListener'], async () => {
      fresh = await runtime.importFresh!()
    })
    equal(atImport, [], 'calls while the entries loaded')
    const atCreate = await counting(['setTimeout', 'setInterval', 'fetch'], () => {
      fresh!.client.createClient({ apiKey: key, dangerouslyAllowBrowser: true, baseUrl: url })
      fresh!.relay?.createRelay({ apiKey: key, baseUrl: url, allowedOrigins: ['https://chat.example.com'] })
    })
    equal(atCreate, [], 'calls while a client and a relay were created')
    ok(fresh!.client !== runtime.client, 'importFresh() gave a new copy of the client entry')
  },
}

export const exitScenario: Scenario = {
  name: 'a script that logs and awaits shutdown() delivers its event and exits by itself at once, despite a 10-minute flush interval',
  needs: ['process'],
  async run(runtime) {
    const { key, url } = runtime.upstream
    // A timer or socket left behind by the client would hold the process until the harness kills it.
    const run = await runtime.runScript!(`
      const { createClient } = await import(${JSON.stringify(runtime.clientUrl)})
      const hh = createClient({ apiKey: ${JSON.stringify(key)}, baseUrl: ${JSON.stringify(url)}, flushIntervalMs: 600000, timeoutMs: 600000 })
      const id = hh.log({ model: 'gpt-4o-mini' })
      const result = await hh.shutdown()
      console.log(JSON.stringify({ id, sent: result.sent }))
    `)
    lacks(run.output, key, 'the script’s output')
    ok(
      run.exitCode === 0,
      'the script exited by itself with code 0',
      run.exitCode === null ? 'it was still running and was killed' : `code ${run.exitCode}: ${run.output}`,
    )
    const { id, sent } = JSON.parse(run.output.trim().split('\n').at(-1)!) as { id: string; sent: number }
    equal(sent, 1, 'shutdown().sent')
    equal((await upstreamOf(url).eventsWith([id])).length, 1, 'copies stored')
  },
}

export const scriptEndScenario: Scenario = {
  name: 'a script that ends without flush() or shutdown() delivers its events before it exits (and exits by itself)',
  needs: ['process'],
  async run(runtime) {
    const { key, url } = runtime.upstream
    // Node and Bun: process 'beforeExit'; Deno: 'beforeunload' (src/exit.ts).
    const run = await runtime.runScript!(`
      const { createClient } = await import(${JSON.stringify(runtime.clientUrl)})
      const hh = createClient({ apiKey: ${JSON.stringify(key)}, baseUrl: ${JSON.stringify(url)}, flushIntervalMs: 600000 })
      console.log(JSON.stringify(Array.from({ length: 5 }, (_, i) => hh.log({ model: 'gpt-4o-mini', metadata: { i } }))))
    `)
    ok(
      run.exitCode === 0,
      'the script exited by itself with code 0',
      run.exitCode === null ? 'it was still running and was killed' : `code ${run.exitCode}: ${run.output}`,
    )
    const ids = JSON.parse(run.output.trim().split('\n').at(-1)!) as string[]
    equal(
      (await upstreamOf(url).eventsWith(ids)).map((event) => event.event_id),
      ids,
      'events stored, once each, in order',
    )
  },
}
