import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { describeProcessRuntime, gate, versionOf } from '../helpers/runtime-suite.js'
import { startUpstream } from '../workers/upstream.js'

// Drives Deno from Node: `deno` (the npm package's binary) runs the shared scenarios (run.ts) and the
// example against the built bundle; the fake HoneyHive runs here on loopback.

const root = fileURLToPath(new URL('../..', import.meta.url))
const deno = join(root, 'node_modules', '.bin', 'deno')
const version = existsSync(deno) ? versionOf(deno) : undefined
const denoDir = mkdtempSync(join(tmpdir(), 'hh-deno-dir-'))
afterAll(() => rmSync(denoDir, { recursive: true, force: true }))
const denoEnv = { DENO_NO_UPDATE_CHECK: '1', DENO_DIR: denoDir, NO_COLOR: '1' }

if (
  gate(
    'deno',
    version !== undefined,
    'no deno binary: run `npm ci` (devDependency "deno"), then `npx vitest run --project deno`',
  )
) {
  // cwd test/deno: its deno.json maps ky and valibot and gives Deno its own types.
  describeProcessRuntime({
    name: 'deno',
    title: version!,
    command: [deno, 'run', '--allow-net', '--allow-env', '--allow-read', '--allow-run', 'run.ts'],
    cwd: join(root, 'test', 'deno'),
    env: denoEnv,
    key: 'hh-deno-test-key-31d0',
  })

  describe('examples/deno', () => {
    const key = 'hh-deno-example-key-8a51'
    let upstream: Awaited<ReturnType<typeof startUpstream>>
    beforeAll(async () => {
      upstream = await startUpstream(key)
    })
    afterAll(() => upstream?.close())

    test('examples/deno logs a model call and flushes it', async () => {
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(deno, ['run', '--allow-net', '--allow-env', '--allow-read', 'main.ts'], {
          cwd: join(root, 'examples', 'deno'),
          env: { ...process.env, ...denoEnv, HH_API_KEY: key, HH_BASE_URL: upstream.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let output = ''
        child.stdout.on('data', (chunk) => (output += chunk))
        child.stderr.on('data', (chunk) => (output += chunk))
        child.once('error', reject)
        child.once('close', (code) => resolve({ code, output }))
      })
      expect(code, output).toBe(0)
      expect(output).toMatch(/sent 2 events/)
      expect(output).not.toContain(key)
      expect(upstream.honeyhive.events.map((event) => event.project)).toEqual(['deno-example', 'deno-example'])
    }, 60_000)
  })
}
