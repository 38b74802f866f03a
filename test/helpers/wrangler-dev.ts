import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { vi } from 'vitest'
import { serve } from '../../src/node.js'

// The relay Worker of wrangler.toml under `wrangler dev` (workerd, offline), for the suites that need the
// real runtime behind a real port: test/node/relay-wrangler-dev.test.ts and test/browser/beacon-relay.test.ts.

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = (name: string) => join(root, 'node_modules', '.bin', name)

/** Whether wrangler and workerd are installed (`npm ci`). */
export const hasWrangler =
  existsSync(bin('wrangler')) && spawnSync(bin('workerd'), ['--version'], { stdio: 'ignore' }).status === 0

/** A free loopback port: bound, then released. */
export async function freePort(): Promise<number> {
  const server = await serve(() => new Response(null))
  await server.close()
  return server.port
}

export interface WranglerDev {
  /** The relay's origin, `http://127.0.0.1:<port>`. */
  url: string
  /** Everything wrangler and workerd printed so far. */
  output(): string
  /** Stops the whole process group (workerd included) and removes the temporary state. */
  stop(): Promise<void>
}

/**
 * Starts `wrangler dev` with the relay's vars and waits until it answers. `redact` is applied to the
 * output quoted in a startup failure, so a test key never reaches a log.
 */
export async function startWranglerDev(
  vars: { apiKey: string; baseUrl: string; allowedOrigins: string },
  redact = (text: string) => text,
  /** A wrangler.toml environment (`queues`) and more vars for it. */
  extra: { env?: string; vars?: Record<string, string> } = {},
): Promise<WranglerDev> {
  const home = mkdtempSync(join(tmpdir(), 'hh-wrangler-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let output = ''
  // detached: its own process group (setsid), so the whole group, workerd included, can be stopped.
  const wrangler = spawn(
    bin('wrangler'),
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(await freePort()),
      '--show-interactive-dev-session=false',
      '--persist-to',
      join(home, 'state'),
      '--var',
      `HH_API_KEY:${vars.apiKey}`,
      '--var',
      `HH_BASE_URL:${vars.baseUrl}`,
      '--var',
      `HH_ALLOWED_ORIGINS:${vars.allowedOrigins}`,
      ...Object.entries(extra.vars ?? {}).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
      ...(extra.env ? ['--env', extra.env] : []),
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
  wrangler.stdout?.on('data', (chunk) => (output += chunk))
  wrangler.stderr?.on('data', (chunk) => (output += chunk))

  async function stop(): Promise<void> {
    const group = wrangler.pid
    if (group && wrangler.exitCode === null) {
      const exited = new Promise((resolve) => wrangler.once('exit', resolve))
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
    rmSync(home, { recursive: true, force: true })
  }

  try {
    await vi.waitFor(
      async () => {
        if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited:\n${redact(output)}`)
        await fetch(url, { method: 'OPTIONS' }).then((response) => response.body?.cancel())
      },
      { timeout: 45_000, interval: 100 },
    )
  } catch (error) {
    await stop()
    throw error
  }
  return { url, output: () => output, stop }
}
