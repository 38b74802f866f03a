import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { serve } from '../../src/node.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { freePort, hasWrangler } from '../helpers/wrangler-dev.js'

// examples/worker under `wrangler dev` with its own wrangler.toml (workerd, offline; its compatibility flags
// included): a weather question answered by the offline model through the tool, the turn arriving at a
// loopback fake HoneyHive as a tree. (A client that disconnects is tested in workerd, test/workers: under
// wrangler dev 4.86 request.signal did not abort when the client went away, even with enable_request_signal.)
const available = hasWrangler
const ci = process.env.CI === 'true'
if (!available && !ci) console.warn('[example worker suite] skipped: wrangler or workerd is missing; run `npm ci`')

const root = fileURLToPath(new URL('../..', import.meta.url))
const honeyhive = createFakeHoneyHive()
const home = mkdtempSync(join(tmpdir(), 'hh-example-worker-'))
let servers: Array<Awaited<ReturnType<typeof serve>>> = []
let stop = async () => {}
let url = ''

describe.skipIf(!available && !ci)('examples/worker under wrangler dev', () => {
  beforeAll(async () => {
    if (!available) throw new Error('wrangler or workerd is missing (CI=true makes this a failure): run `npm ci`')
    servers = [await serve(honeyhive)]
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    const vars = { HH_BASE_URL: servers[0].url, HH_API_KEY: 'hh-example-key' }
    let output = ''
    // detached: its own process group, so workerd goes with it (field notes §5).
    const wrangler = spawn(
      join(root, 'node_modules', '.bin', 'wrangler'),
      [
        'dev',
        '-c',
        'examples/worker/wrangler.toml',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--inspector-port',
        String(await freePort()),
        '--show-interactive-dev-session=false',
        '--persist-to',
        join(home, 'state'),
        ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
      ],
      {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: 'false',
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          WRANGLER_LOG_PATH: join(home, 'logs'),
        },
      },
    )
    wrangler.stdout.on('data', (chunk) => (output += chunk))
    wrangler.stderr.on('data', (chunk) => (output += chunk))
    stop = async () => {
      try {
        process.kill(-wrangler.pid!, 'SIGKILL')
      } catch {}
    }
    await vi.waitFor(async () => expect((await fetch(url)).status, output).toBe(405), {
      timeout: 45_000,
      interval: 500,
    })
  }, 60_000)

  afterAll(async () => {
    await stop()
    await Promise.all(servers.map((server) => server.close()))
    rmSync(home, { recursive: true, force: true })
  })

  test('answers a weather question offline through the tool, and the turn arrives as a tree', async () => {
    const sessionId = crypto.randomUUID()
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'weather in Paris?' }], sessionId })
    const response = await fetch(url, { method: 'POST', body })
    expect(await response.text()).toBe('From the weather tool: sunny and 21 °C in Paris.')
    await vi.waitFor(() => expect(honeyhive.events.filter((event) => event.session_id === sessionId)).toHaveLength(4), {
      timeout: 15_000,
    })
    const chain = honeyhive.events.find((event) => event.event_type === 'chain')!
    expect(chain).toMatchObject({ event_name: 'edge-chat', metadata: { status: 'success', steps: 2 } })
    const children = honeyhive.events.filter((event) => event.parent_id === chain.event_id)
    expect(children.map((event) => event.event_type)).toEqual(['model', 'tool', 'model'])
  }, 30_000)
})
