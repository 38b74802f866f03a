import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'

// `npx honeyhive-edge dev` from a fresh install of the packed tarball, offline: valibot comes from the
// npm cache (pinned by a lockfile made from ours, so npm needs no registry metadata), the rest from dist/.
const root = fileURLToPath(new URL('../..', import.meta.url))
const offline = {
  ...process.env,
  npm_config_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
}
let project: string

function run(command: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(command, args, { cwd, env: offline, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  )
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'hh-bin-'))
  const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], root)
  expect(pack.code, pack.stderr).toBe(0)
  const tarball = JSON.parse(pack.stdout)[0].filename as string
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages
  const pinned = (name: string) => ({
    version: lock[`node_modules/${name}`].version,
    integrity: lock[`node_modules/${name}`].integrity,
  })
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'bin-check', private: true, type: 'module' }))
  writeFileSync(
    join(project, 'package-lock.json'),
    JSON.stringify({
      name: 'bin-check',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name: 'bin-check' }, 'node_modules/valibot': pinned('valibot') },
    }),
  )
  const install = await run('npm', ['install', '--offline', '--ignore-scripts', `./${tarball}`], project)
  expect(install.code, install.stderr).toBe(0)
})

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true })
})

test('npx honeyhive-edge dev starts from the installed tarball, serves the page and both batch routes, and stops cleanly on SIGTERM', async () => {
  const port = await freePort()
  // Its own process group (npx and the node it starts), stopped as a whole.
  const child = spawn('npx', ['--offline', 'honeyhive-edge', 'dev', '--port', String(port)], {
    cwd: project,
    env: offline,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise<[number | null, string | null]>((resolve) =>
    child.once('exit', (code, signal) => resolve([code, signal])),
  )
  const baseUrl = `http://127.0.0.1:${port}`
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bin did not start:\n${output}`)), 30_000)
      const check = () => output.includes('Ctrl-C to stop') && (clearTimeout(timer), resolve())
      child.stdout.on('data', check)
      child.once('exit', () => reject(new Error(`the bin exited:\n${output}`)))
    })
    expect(output).toContain(`page      ${baseUrl}/`)
    expect(output).toContain(`createClient({ baseUrl: '${baseUrl}' })`)

    const page = await fetch(`${baseUrl}/`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<title>honeyhive-edge dev</title>')
    for (const file of [
      'inspector-page.js',
      'inspector-page-dom.js',
      'inspector-page-session.js',
      'inspector-page-tree.js',
      'inspector-page-chat.js',
      'inspector-page-detail.js',
      'inspector-page-lists.js',
      'inspector-page.css',
    ]) {
      expect((await fetch(`${baseUrl}/${file}`)).status, file).toBe(200)
    }

    const session_id = crypto.randomUUID()
    const send = (path: string, body: unknown, type = 'application/json') =>
      fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body) })
    expect(
      (
        await send('/events/model/batch', {
          model_events: [{ session_id, model: 'gpt-4o', usage: { total_tokens: 5 } }],
        })
      ).status,
    ).toBe(200)
    expect(
      (
        await send('/v1/events/batch', {
          events: [{ session_id, event_type: 'model', inputs: {}, metadata: { total_tokens: 4 } }],
        })
      ).status,
    ).toBe(200)
    expect(
      (await send('/events/model/batch', { model_events: [{ session_id, model: 'gpt-4o' }] }, 'text/plain')).status,
    ).toBe(200)
    expect((await send('/v1/events/batch', { events: [{ session_id, inputs: {} }] })).status).toBe(400)
    const state = (await (await fetch(`${baseUrl}/api/state`)).json()) as {
      sessions: unknown[]
      requests: Array<{ status: number; beacon: boolean }>
    }
    expect(state.sessions).toMatchObject([{ session_id, events: 4, unstored: 1, tokens: 9, beacons: 1 }])
    expect(state.requests.map((request) => [request.status, request.beacon])).toEqual([
      [200, false],
      [200, false],
      [200, true],
      [400, false],
    ])
    // Another site's page may not post; the event-update route takes feedback.
    expect(
      (
        await fetch(`${baseUrl}/events/model/batch`, {
          method: 'POST',
          headers: { origin: 'https://elsewhere.example' },
          body: '{"model_events":[]}',
        })
      ).status,
    ).toBe(403)
    const event_id = crypto.randomUUID()
    expect(
      (await send('/v1/events/batch', { events: [{ event_id, session_id, event_type: 'model', inputs: {} }] })).status,
    ).toBe(200)
    expect(
      (
        await fetch(`${baseUrl}/v1/events/${event_id}`, {
          method: 'PUT',
          body: JSON.stringify({ feedback: { rating: 1 } }),
        })
      ).status,
    ).toBe(200)
  } finally {
    process.kill(-child.pid!, 'SIGTERM')
  }
  // npm ends npx by the signal it got, once the bin (its child) has closed its server and exited.
  expect((await exited).some((end) => end === 0 || end === 'SIGTERM')).toBe(true)
  expect(output).toContain('SIGTERM, stopping')
  await expect(fetch(`${baseUrl}/`)).rejects.toThrow()
  // Nothing of the group is left running.
  const alive = () => {
    try {
      return process.kill(-child.pid!, 0)
    } catch {
      return false
    }
  }
  for (const end = Date.now() + 5000; alive() && Date.now() < end;)
    await new Promise((resolve) => setTimeout(resolve, 50))
  expect(alive()).toBe(false)
})

test('the installed bin explains itself: --help, a wrong command or option, a port in use', async () => {
  const bin = join(project, 'node_modules/.bin/honeyhive-edge')
  const help = await run(bin, ['--help'], project)
  expect(help).toMatchObject({ code: 0 })
  expect(help.stdout).toContain('Usage: honeyhive-edge dev [--port 8787] [--host 127.0.0.1] [--key KEY]')
  const origin = await run(bin, ['dev', '--cors', 'app.example'], project)
  expect(origin.code).toBe(2)
  expect(origin.stderr).toContain('--cors takes origins like https://app.example:3000')
  const wrong = await run(bin, ['serve'], project)
  expect(wrong.code).toBe(2)
  expect(wrong.stderr).toContain('unknown command "serve"')
  expect((await run(bin, ['dev', '--port', '70000'], project)).stderr).toContain(
    '--port must be a whole number from 0 to 65535',
  )
  expect((await run(bin, ['dev', '--colour'], project)).code).toBe(2)
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  try {
    const busy = await run(bin, ['dev', '--port', String((taken.address() as { port: number }).port)], project)
    expect(busy.code).toBe(1)
    expect(busy.stderr).toContain('is in use; pass another with --port')
  } finally {
    await new Promise((resolve) => taken.close(resolve))
  }
})

test('the installed package exports the inspector for scripts of its own', async () => {
  const script =
    "import { startInspector } from 'honeyhive-edge/inspector'; const s = await startInspector({ port: 0 }); console.log(s.baseUrl); await s.close()"
  const result = await run(process.execPath, ['--input-type=module', '-e', script], project)
  expect(result.stderr).toBe('')
  expect(result.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n$/)
})
