import { spawn, type SpawnOptionsWithStdioTuple, type StdioNull, type StdioPipe } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, expect, test } from 'vitest'
import { startInspector } from '../../src/inspector/index.js'
import { serve } from '../../src/node.js'

// examples/browser-chat/serve.mjs as a user runs it (needs `npx rollup -c`: it serves dist/): where its events
// go, its port, and the feedback tokens it mints. The page itself is tested in test/browser/browser-chat.test.ts.
const root = fileURLToPath(new URL('../..', import.meta.url))
const stops: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()))
})

/** Runs serve.mjs with `env`; resolves what it printed once it printed its address, and the address. */
async function run(env: Record<string, string>): Promise<{ stdout: string; url: string }> {
  const clean = { ...process.env }
  for (const name of ['HH_API_KEY', 'OPENAI_API_KEY', 'HH_DEV_URL', 'HH_FEEDBACK_SECRET']) delete clean[name]
  const options: SpawnOptionsWithStdioTuple<StdioNull, StdioPipe, StdioPipe> = {
    cwd: root,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }
  const child = spawn(process.execPath, ['examples/browser-chat/serve.mjs'], options)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  stops.push(() => {
    child.kill('SIGTERM')
    return exited
  })
  let stdout = ''
  child.stderr.on('data', (chunk) => (stdout += chunk))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address printed:\n${stdout}`)), 15_000)
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      const url = /browser chat on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)?.[1]
      if (!url) return
      clearTimeout(timer)
      resolve({ stdout, url })
    })
  })
}

test('a taken port is said in one line and a free one used', async () => {
  const taken = await serve(() => new Response('busy'))
  stops.push(taken.close)
  const { stdout, url } = await run({ PORT: String(taken.port), HH_DEV_URL: '' })
  expect(stdout).toContain(`port ${taken.port} is in use: serving on a free port instead (PORT= to choose one)`)
  expect(stdout).not.toContain('EADDRINUSE')
  expect(new URL(url).port).not.toBe(String(taken.port))
  expect((await fetch(url)).headers.get('content-type')).toContain('text/html')
})

test('with honeyhive-edge dev answering at HH_DEV_URL the events go there; with none, to the embedded fake', async () => {
  const dev = await startInspector({ port: 0 })
  stops.push(dev.close)
  const found = await run({ PORT: '0', HH_DEV_URL: dev.baseUrl })
  expect(found.stdout).toContain(`events to honeyhive-edge dev at ${dev.baseUrl}`)
  const gone = await serve(() => new Response('gone'))
  await gone.close()
  const none = await run({ PORT: '0', HH_DEV_URL: gone.url })
  expect(none.stdout).toContain('events to the embedded fake HoneyHive (run `npx honeyhive-edge dev` first')
})

test('the relay forwards feedback only with the token the server minted for that very turn', async () => {
  const dev = await startInspector({ port: 0 })
  stops.push(dev.close)
  const { url } = await run({ PORT: '0', HH_DEV_URL: dev.baseUrl })
  const origin = url.slice(0, -1)
  const turn = async () => {
    const answer = await fetch(new URL('/api/turn', url), { method: 'POST' })
    return (await answer.json()) as { eventId: string; token: string }
  }
  const [first, second] = [await turn(), await turn()]
  expect(first.eventId).not.toBe(second.eventId)
  const headers = { origin, 'content-type': 'application/json' }
  const send = (body: object) =>
    fetch(new URL('/events/model/batch', url), { method: 'POST', headers, body: JSON.stringify(body) })
  const other = await send({ event_id: second.eventId, feedback: { rating: 1 }, token: first.token })
  expect(other.status).toBe(403)
  expect(await other.json()).toMatchObject({ message: 'Refused: the feedback token is not valid for this event' })
  const none = await send({ event_id: first.eventId, feedback: { rating: 1 } })
  expect(none.status).toBe(403)
  // Its own token is taken (202: forwarded after the answer, as in a Worker's waitUntil).
  expect((await send({ event_id: first.eventId, feedback: { rating: 1 }, token: first.token })).status).toBe(202)
})
