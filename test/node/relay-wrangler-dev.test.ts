import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { serve } from '../../src/node.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { posts } from '../helpers/fake-server.js'

// The relay Worker of wrangler.toml, served by `wrangler dev` (workerd, offline), posting to a loopback
// fake HoneyHive: the path a browser's beacon takes in production.

// A missing wrangler or workerd fails the run under CI=true; locally this file is skipped with a hint.
const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = (name: string) => join(root, 'node_modules', '.bin', name)
const available = existsSync(bin('wrangler')) && spawnSync(bin('workerd'), ['--version'], { stdio: 'ignore' }).status === 0
const ci = process.env.CI === 'true'
if (!available && !ci) console.warn('[wrangler dev suite] skipped: wrangler or workerd is missing; run `npm ci` (devDependency "wrangler" 4.86.0)')

const key = 'hh-wrangler-dev-key-77e2'
const origin = 'https://chat.example.com'
let wrangler: ChildProcess | undefined
let relayUrl = ''
const honeyhive = createFakeHoneyHive({ apiKey: key })
let upstream: Awaited<ReturnType<typeof serve>> | undefined
let output = ''
let home = ''

async function freePort(): Promise<number> {
  const server = await serve(() => new Response(null))
  await server.close()
  return server.port
}

describe.skipIf(!available && !ci)('the relay under wrangler dev', () => {
  beforeAll(async () => {
    if (!available) throw new Error('wrangler or workerd is missing (CI=true makes this a failure): run `npm ci`')
    home = mkdtempSync(join(tmpdir(), 'hh-wrangler-'))
    upstream = await serve(honeyhive)
    const port = await freePort()
    relayUrl = `http://127.0.0.1:${port}`
    // detached: its own process group (setsid), so the whole group, workerd included, can be stopped.
    wrangler = spawn(
      bin('wrangler'),
      ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(await freePort()), '--show-interactive-dev-session=false',
        '--persist-to', join(home, 'state'), '--var', `HH_API_KEY:${key}`, '--var', `HH_BASE_URL:${upstream.url}`, '--var', `HH_ALLOWED_ORIGINS:${origin}`],
      {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_LOG_PATH: join(home, 'logs') },
      },
    )
    wrangler.stdout?.on('data', (chunk) => (output += chunk))
    wrangler.stderr?.on('data', (chunk) => (output += chunk))
    await vi.waitFor(
      async () => {
        if (wrangler?.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`)
        await fetch(relayUrl, { method: 'OPTIONS' }).then((response) => response.body?.cancel())
      },
      { timeout: 45_000, interval: 250 },
    )
  }, 60_000)

  afterAll(async () => {
    const group = wrangler?.pid
    if (group && wrangler?.exitCode === null) {
      const exited = new Promise((resolve) => wrangler?.once('exit', resolve))
      process.kill(-group, 'SIGTERM')
      const timer = setTimeout(() => process.kill(-group, 'SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    // workerd children outlive wrangler unless their whole group goes (field notes §5).
    if (group) {
      try {
        process.kill(-group, 'SIGKILL')
      } catch {}
    }
    await upstream?.close()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  test('a text/plain beacon from an allowed origin, posted to wrangler dev, reaches HoneyHive with the key added', async () => {
    const id = crypto.randomUUID()
    const response = await fetch(`${relayUrl}/events/model/batch`, {
      method: 'POST',
      headers: { origin, 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ model_events: [{ event_id: id, model: 'gpt-4o', provider: 'openai', messages: [{ role: 'user', content: 'hi' }] }] }),
    })
    const text = await response.text()
    expect(response.status).toBe(202)
    expect(response.headers.get('access-control-allow-origin')).toBe(origin)
    expect(text).toContain(id)
    expect(text).not.toContain(key)
    await vi.waitFor(() => expect(honeyhive.events.map((event) => event.event_id)).toEqual([id]), { timeout: 10_000 })
    expect(posts(honeyhive)[0].headers.authorization).toBe(`Bearer ${key}`)
    expect(output).not.toContain(key)
  }, 30_000)

  test('wrangler dev answers a preflight for the allowed origin and refuses others', async () => {
    const allowed = await fetch(relayUrl, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } })
    expect(allowed.status).toBe(204)
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin)
    const other = await fetch(relayUrl, { method: 'POST', headers: { origin: 'https://evil.example' }, body: '{"model_events":[]}' })
    expect(other.status).toBe(403)
    await other.body?.cancel()
  })
})
