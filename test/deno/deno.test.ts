import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startUpstream } from '../workers/upstream.js'

// Drives Deno from Node: the fake HoneyHive runs here on loopback, `deno` (the npm package's binary) runs
// the *_test.ts suite and the example against the built bundle, and this file checks what the fake received.

const root = fileURLToPath(new URL('../..', import.meta.url))
const deno = join(root, 'node_modules', '.bin', 'deno')
const available = existsSync(deno) && spawnSync(deno, ['--version'], { stdio: 'ignore' }).status === 0
const ci = process.env.CI === 'true'
if (!available && !ci) console.warn('[deno suite] skipped: no deno binary. Install it with `npm ci` (devDependency "deno"), then run `npx vitest run --project deno`.')

const key = 'hh-deno-test-key-31d0'
const denoDir = mkdtempSync(join(tmpdir(), 'hh-deno-dir-'))
let upstream: Awaited<ReturnType<typeof startUpstream>>
beforeAll(async () => {
  upstream = await startUpstream(key)
})
afterAll(async () => {
  await upstream?.close()
  rmSync(denoDir, { recursive: true, force: true })
})

/** Runs deno with `args` in `cwd`; resolves its exit code and output. */
function run(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  if (!available) throw new Error('deno is missing (CI=true makes this a failure): run `npm ci` to install the "deno" devDependency')
  return new Promise((resolve, reject) => {
    const child = spawn(deno, args, {
      cwd,
      env: { ...process.env, ...env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: denoDir, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, output }))
  })
}

describe.skipIf(!available && !ci)('Deno', () => {
  test('the deno test suite passes against the built bundle and relay, and the fake received its events with the key', async () => {
    const session = crypto.randomUUID()
    const env = { HH_TEST_URL: upstream.url, HH_TEST_KEY: key, HH_TEST_SESSION: session }
    // cwd test/deno: its deno.json gives Deno its own types (the root tsconfig.json has no deno.ns).
    const { code, output } = await run(['test', '--allow-net', '--allow-env', '--allow-read'], join(root, 'test', 'deno'), env)
    expect(code, output).toBe(0)
    expect(output).toMatch(/4 passed \| 0 failed/)
    const events = upstream.honeyhive.events.filter((event) => event.session_id === session)
    expect(events.map((event) => event.model)).toEqual(['gpt-4o', 'gpt-4o-mini', 'o3', 'gpt-4o', 'relay-deno'])
    const posts = upstream.honeyhive.requests.filter((request) => request.method === 'POST')
    expect(posts.map((request) => request.status)).toEqual([200, 500, 429, 200, 400, 200])
    expect(posts.every((request) => request.headers.authorization === `Bearer ${key}`)).toBe(true)
  }, 60_000)

  test('examples/deno logs a model call and flushes it', async () => {
    const before = upstream.honeyhive.events.length
    const { code, output } = await run(['run', '--allow-net', '--allow-env', '--allow-read', 'main.ts'], join(root, 'examples', 'deno'), {
      HH_API_KEY: key,
      HH_BASE_URL: upstream.url,
    })
    expect(code, output).toBe(0)
    expect(output).toMatch(/sent 2 events/)
    expect(output).not.toContain(key)
    expect(upstream.honeyhive.events.slice(before).map((event) => event.project)).toEqual(['deno-example', 'deno-example'])
  }, 60_000)
})

