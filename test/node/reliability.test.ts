import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { createClient, type HoneyHiveError } from '../../src/index.js'
import { serve } from '../../src/node.js'
import { createRelay } from '../../src/relay.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { deadBaseUrl, startFakeHoneyHive, startRawServer, storedIds } from '../helpers/fake-server.js'

// Issue 12, the parts that need Node itself: scripts that end on their own against a server that is down
// (Node and Deno; delivery before a script ends is a shared scenario, test/scenarios/lifecycle.ts), the default
// shutdown bound, and request bodies streamed through `serve` into the relay's limits.

const root = fileURLToPath(new URL('../..', import.meta.url))
// Node loads the package entry; Deno the self-contained bundle (ky and valibot inlined), as its users do.
const entries = { node: join(root, 'dist', 'index.js'), deno: join(root, 'dist', 'honeyhive-edge.min.js') }
const deno = join(root, 'node_modules', '.bin', 'deno')
const hasDeno = existsSync(deno) && spawnSync(deno, ['--version'], { stdio: 'ignore' }).status === 0
if (!hasDeno && process.env.CI !== 'true')
  console.warn('[script exit, deno] skipped: no deno binary; run `npm ci` (devDependency "deno")')

/** A script that logs `count` events and ends without flush() or shutdown(); prints the ids and what onError got. */
const script = (
  runtime: 'node' | 'deno',
  count: number,
) => `import { createClient } from ${JSON.stringify(entries[runtime])}
const hh = createClient({ baseUrl: globalThis.process?.env.HH_BASE_URL ?? Deno.env.get('HH_BASE_URL'), maxRetries: 1, onError: (error) => console.log('onError', error.name, error.message) })
const ids = Array.from({ length: ${count} }, (_, i) => hh.log({ model: 'gpt-4o', metadata: { i } }))
console.log('ids', JSON.stringify(ids))
`

// Bun from the `bun` npm package (test/bun/bun.test.ts says why there are two places).
const bun = ['node_modules/bun/bin/bun.exe', 'node_modules/@oven/bun-linux-x64/bin/bun']
  .map((path) => join(root, path))
  .find((path) => existsSync(path) && spawnSync(path, ['--version'], { stdio: 'ignore' }).status === 0)
if (!bun && process.env.CI !== 'true')
  console.warn('[script exit, bun] skipped: no runnable bun binary; run `npm ci` (devDependency "bun")')
type Runtime = 'node' | 'deno' | 'bun'

/** Runs the script with `runtime`; resolves its exit code, output and run time. */
function run(runtime: Runtime, code: string, baseUrl: string) {
  const dir = mkdtempSync(join(tmpdir(), 'hh-exit-'))
  const file = join(dir, 'script.mjs')
  writeFileSync(file, code)
  const args = {
    node: [process.execPath, file],
    deno: [deno, 'run', '--allow-net', '--allow-env', '--allow-read', file],
    bun: [bun!, file],
  }[runtime]
  const [bin] = args.splice(0, 1)
  const started = Date.now()
  return new Promise<{ code: number | null; output: string; ms: number }>((resolve) => {
    execFile(
      bin,
      args,
      { env: { ...process.env, HH_BASE_URL: baseUrl, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true })
        resolve({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          output: stdout + stderr,
          ms: Date.now() - started,
        })
      },
    )
  })
}

describe.each(['node', 'deno'] as const)('a %s script that never calls flush() or shutdown()', (runtime) => {
  const skip = runtime === 'deno' && !hasDeno && process.env.CI !== 'true'

  test.skipIf(skip)(
    'against a server that is down, keeps trying for the 10 s shutdown bound, then ends and says what was not delivered',
    async () => {
      const { code, output, ms } = await run(runtime, script(runtime, 3), await deadBaseUrl())
      expect(code, output).toBe(0)
      expect(output).toMatch(/onError DroppedError the script ended before they were delivered/)
      expect(ms).toBeGreaterThanOrEqual(9500)
      expect(ms).toBeLessThan(16_000)
    },
    30_000,
  )
  // An onError that logs every report again started a new 10 s drain at each end of the loop: it never ended.
  test.skipIf(skip)(
    'whose onError logs every report as an event still ends after the one 10 s bound',
    async () => {
      const code = script(runtime, 2).replace(
        "onError: (error) => console.log('onError', error.name, error.message)",
        "onError: (error) => { console.log('onError', error.name, error.message); hh.log({ model: 'report', metadata: { error: error.message } }) }",
      )
      expect(code).toContain("model: 'report'")
      const { code: exit, output, ms } = await run(runtime, code, await deadBaseUrl())
      expect(exit, output).toBe(0)
      expect(output).toMatch(/onError DroppedError the script ended before they were delivered/)
      expect(ms).toBeLessThan(16_000)
    },
    30_000,
  )
})

// Issue 22, item 1: the exit flush aborted a drain under way, whose restart returned at once on the aborted
// signal, in a microtask loop: 100 % CPU forever, SIGTERM ignored, nothing delivered.
describe.each(['node', 'deno', 'bun'] as const)('a %s script that ends while its flush races an outage', (runtime) => {
  const skip = ((runtime === 'deno' && !hasDeno) || (runtime === 'bun' && !bun)) && process.env.CI !== 'true'

  test.skipIf(skip)(
    'ends within the bounds and delivers or reports every event',
    async () => {
      const honeyhive = createFakeHoneyHive()
      const upAt = Date.now() + 3000
      let limited = false
      const { url } = await startRawServer(async (req, res, _n, body) => {
        // Down for 3 s (connections dropped), then one 429 with Retry-After, then HoneyHive.
        if (Date.now() < upAt) return void res.socket?.destroy()
        if (!limited) {
          limited = true
          return void res.writeHead(429, { 'retry-after': '1' }).end('{}')
        }
        const answer = await honeyhive(
          new Request(`http://127.0.0.1${req.url}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }),
        )
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text())
      })
      const code = `import { createClient } from ${JSON.stringify(entries[runtime === 'deno' ? 'deno' : 'node'])}
const env = (name) => globalThis.process?.env[name] ?? globalThis.Deno?.env.get(name)
const hh = createClient({ baseUrl: env('HH_BASE_URL'), flushAt: 2, maxRetries: 1, onError: (error) => console.log('onError', error.name, JSON.stringify(error.eventIds)) })
const ids = Array.from({ length: 25 }, (_, i) => hh.log({ model: 'gpt-4o', metadata: { i } }))
console.log('ids', JSON.stringify(ids))
console.log('flush', JSON.stringify(await hh.flush({ timeoutMs: 15000 })))
`
      const { code: exit, output, ms } = await run(runtime, code, url)
      expect(exit, output).toBe(0)
      expect(ms).toBeLessThan(28_000)
      const ids = JSON.parse(/^ids (.*)$/m.exec(output)![1]) as string[]
      const dropped = [...output.matchAll(/^onError DroppedError (.*)$/gm)].flatMap(
        (match) => JSON.parse(match[1]) as string[],
      )
      for (const id of ids) expect(storedIds(honeyhive.events).includes(id) || dropped.includes(id), id).toBe(true)
      expect(output).toMatch(/flush \{"sent":25,/)
    },
    40_000,
  )
})

test('shutdown() without a deadline ends within its documented 10 s bound against a server that never answers', async () => {
  const { url } = await startRawServer(() => {})
  const errors: HoneyHiveError[] = []
  const hh = createClient({ baseUrl: url, timeoutMs: 60_000, onError: (error) => errors.push(error) })
  const id = hh.log({ model: 'gpt-4o' })
  const started = Date.now()
  expect(await hh.shutdown()).toEqual({ sent: 0, failed: 0, dropped: 1, queued: 0 })
  expect(Date.now() - started).toBeGreaterThanOrEqual(9_900)
  expect(Date.now() - started).toBeLessThan(12_000)
  expect(errors).toMatchObject([{ name: 'DroppedError', reason: 'shutdown', eventIds: [id] }])
}, 20_000)

describe('serve() streams request bodies into the handler', () => {
  const app = 'https://app.example.com'
  const key = 'hh-stream-key-51c2'

  /** Posts an endless chunked body; resolves the status (or the error) and how many bytes were pulled from the body. */
  async function postEndless(url: string, headers: Record<string, string>) {
    let pulled = 0
    const chunk = new Uint8Array(64 * 1024).fill(32)
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += chunk.byteLength
        if (pulled > 800 * 1024 * 1024) controller.close()
        else controller.enqueue(chunk)
      },
    })
    const outcome = await fetch(`${url}/events/model/batch`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
      duplex: 'half',
    } as RequestInit).then(
      (response) => response.status,
      (error: Error) => error.name,
    )
    return { outcome, pulled }
  }

  test('an endless POST gets 413 after about maxBodyBytes, and one without an allowed Origin 403, never read whole', async () => {
    const upstream = await startFakeHoneyHive({ apiKey: key })
    const relay = createRelay({ apiKey: key, baseUrl: upstream.baseUrl, allowedOrigins: [app], onError: () => {} })
    const server = await serve(relay)
    try {
      const before = process.memoryUsage().rss
      const big = await postEndless(server.url, { origin: app })
      const stranger = await postEndless(server.url, {})
      expect([413, 'TypeError']).toContain(big.outcome)
      expect([403, 'TypeError']).toContain(stranger.outcome)
      // The 800 MB bodies were cut after the first megabytes, and memory did not follow them.
      expect(big.pulled).toBeLessThan(64 * 1024 * 1024)
      expect(stranger.pulled).toBeLessThan(64 * 1024 * 1024)
      expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024)
      expect(upstream.honeyhive.requests).toEqual([])
    } finally {
      await server.close()
    }
  }, 30_000)

  test('a body trickled slower than bodyTimeoutMs gets 408 and nothing is forwarded', async () => {
    const upstream = await startFakeHoneyHive({ apiKey: key })
    const relay = createRelay({
      apiKey: key,
      baseUrl: upstream.baseUrl,
      allowedOrigins: [app],
      bodyTimeoutMs: 300,
      onError: () => {},
    })
    const server = await serve(relay)
    try {
      let sent = 0
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          if (++sent > 30) controller.close()
          else controller.enqueue(new TextEncoder().encode(sent === 1 ? '{"model_events":[' : ' '))
        },
      })
      const started = Date.now()
      const response = await fetch(`${server.url}/events/model/batch`, {
        method: 'POST',
        body,
        headers: { origin: app },
        duplex: 'half',
      } as RequestInit)
      expect(response.status).toBe(408)
      expect(Date.now() - started).toBeLessThan(2000)
      expect(upstream.honeyhive.requests).toEqual([])
    } finally {
      await server.close()
    }
  })
})

test('the relay keeps the key out of onError when the upstream quotes it in its answer', async () => {
  const key = 'hh_live_relay_77aa01'
  const upstream = await startFakeHoneyHive()
  upstream.honeyhive.fail({ status: 403, body: { message: `key ${key} has no access`, key } })
  const errors: HoneyHiveError[] = []
  const relay = createRelay({
    apiKey: key,
    baseUrl: upstream.baseUrl,
    allowedOrigins: ['https://app.example.com'],
    onError: (error) => errors.push(error),
  })
  const response = await relay(
    new Request('https://relay.example.com/events/model/batch', {
      method: 'POST',
      headers: { origin: 'https://app.example.com' },
      body: JSON.stringify({ model_events: [{ model: 'x' }] }),
    }),
  )
  expect(response.status).toBe(502)
  expect(await response.text()).not.toContain(key)
  expect(errors).toHaveLength(1)
  expect(errors[0]).toMatchObject({ status: 403, body: { message: 'key [redacted] has no access', key: '[redacted]' } })
  expect(`${errors[0].message} ${errors[0].stack} ${JSON.stringify(errors[0])}`).not.toContain(key)
})
