import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { startFakeHoneyHive } from '../helpers/fake-server.js'

const dist = new URL('../../dist/index.js', import.meta.url).href

/** Runs an ES module snippet in a fresh Node process; resolves its stdout and how long it ran. */
function runNode(code: string, env: Record<string, string> = {}) {
  const started = Date.now()
  return new Promise<{ stdout: string; ms: number }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', code],
      { env: { ...process.env, ...env }, timeout: 15_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, ms: Date.now() - started }),
    )
  })
}

test('a Node script that logs and calls shutdown() delivers its events and exits by itself at once', async () => {
  const { honeyhive, baseUrl } = await startFakeHoneyHive()
  const { stdout, ms } = await runNode(
    `import { createClient } from ${JSON.stringify(dist)}
     const hh = createClient({ baseUrl: process.env.HH_BASE_URL, flushIntervalMs: 60000 })
     const ids = [hh.log({ model: 'a' }), hh.log({ model: 'b' })]
     await hh.shutdown()
     console.log(JSON.stringify(ids))`,
    { HH_BASE_URL: baseUrl },
  )
  expect(honeyhive.events.map((event) => event.event_id)).toEqual(JSON.parse(stdout))
  // A 60 s flush interval would hold the process if the timer were not removed/unref'd.
  expect(ms).toBeLessThan(5000)
})

test('a pending flush timer does not keep a Node process alive: the script ends once its event is delivered', async () => {
  const { honeyhive, baseUrl } = await startFakeHoneyHive()
  const { ms } = await runNode(
    `import { createClient } from ${JSON.stringify(dist)}
     const hh = createClient({ baseUrl: process.env.HH_BASE_URL, flushIntervalMs: 60000 })
     hh.log({ model: 'a' })`,
    { HH_BASE_URL: baseUrl },
  )
  expect(honeyhive.events).toHaveLength(1)
  expect(ms).toBeLessThan(5000)
})

test('importing the package and creating a client starts nothing: no timer, listener, fetch or random id', async () => {
  const { stdout } = await runNode(
    `const calls = []
     const watch = (object, name) => {
       const original = object[name]
       object[name] = function (...args) { calls.push(name); return original.apply(this, args) }
     }
     watch(globalThis, 'setTimeout'); watch(globalThis, 'setInterval'); watch(globalThis, 'fetch')
     watch(globalThis, 'addEventListener'); watch(globalThis.crypto, 'randomUUID')
     const { createClient } = await import(${JSON.stringify(dist)})
     createClient({ baseUrl: 'http://127.0.0.1:9' })
     console.log(JSON.stringify(calls))`,
  )
  expect(JSON.parse(stdout)).toEqual([])
})
