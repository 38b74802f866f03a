import { execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

test('npm run demo sends a chat session through the queue to the embedded fake and prints what arrived', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const env = { ...process.env }
  delete env.HH_API_KEY
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['scripts/demo.mjs'], { cwd: root, env, timeout: 30_000 }, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
    ),
  )
  expect(stdout).toMatch(/fake HoneyHive at http:\/\/127\.0\.0\.1:\d+/)
  expect(stdout).toContain('flush() → {"sent":5,"failed":0,"dropped":0,"queued":0}')
  expect(stdout).toMatch(/#1 .* 3 events → 429 \(Retry-After: 1 s, scripted\)/)
  expect(stdout).toMatch(/#2 .* 3 events → 200/)
  expect(stdout).toMatch(/error: provider returned 503: model overloaded/)
  expect(stdout).toMatch(/Stored 5 events \(5 unique ids\)/)
  // The ids printed for the retried batch are the ids the first attempt carried.
  const ids = [...stdout.matchAll(/^ {7}([0-9a-f-]{36}) /gm)].map((match) => match[1])
  expect(ids.slice(0, 3)).toEqual(ids.slice(3, 6))
  // The session as a text timeline: a bar per call, in order, the first token marked, the retry and the failure said.
  const session = /^session ([0-9a-f-]{36})$/m.exec(stdout)![1]
  expect(stdout).toContain(`Timeline of session ${session}: 5 events, 1 error, `)
  const bars = stdout.split('\n').filter((line) => /^ {2}chat +│/.test(line))
  expect(bars).toHaveLength(5)
  expect(bars.map((line) => /│ *\d+ ms {2}(\w+)/.exec(line)![1])).toEqual([
    'success',
    'success',
    'success',
    'error',
    'success',
  ])
  expect(bars.slice(0, 3).every((line) => line.includes('↻ after #1 429'))).toBe(true)
  expect(bars.filter((line) => line.includes('┃'))).toHaveLength(4)
  const starts = bars.map((line) => line.split('│')[1].search(/[^ ]/))
  expect([...starts].sort((a, b) => a - b)).toEqual(starts)
  // Trees need the v1 route: this run says how to see one, and logs no chain the seed's route would refuse.
  expect(stdout).toContain(
    '`npm run demo -- --route /v1/events/batch` adds a turn with a tool call, logged and printed as a tree.',
  )
  expect(stdout).not.toContain('onError')
  expect(stdout).not.toContain('as a tree (')
})

test('npm run demo -- --inspect keeps the inspector serving, its page open on the demo session, until stopped', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const env = { ...process.env }
  delete env.HH_API_KEY
  // Its own process group, stopped as a whole.
  const child = spawn(process.execPath, ['scripts/demo.mjs', '--inspect'], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  try {
    const link = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no page address printed:\n${stdout}`)), 20_000)
      child.stdout.on('data', () => {
        const match = /Inspect this session: (http:\/\/127\.0\.0\.1:\d+\/#session=[0-9a-f-]{36})/.exec(stdout)
        if (match) resolve((clearTimeout(timer), match[1]))
      })
    })
    const url = new URL(link)
    expect(url.hash).toBe(`#session=${/^session ([0-9a-f-]{36})$/m.exec(stdout)![1]}`)
    expect((await fetch(url)).headers.get('content-type')).toContain('text/html')
    const state = (await (await fetch(new URL('/api/state', url))).json()) as {
      sessions: Array<{ session_id: string; events: number; retried: number }>
    }
    expect(state.sessions).toMatchObject([{ session_id: url.hash.slice(9), events: 5, retried: 3 }])
  } finally {
    process.kill(-child.pid!, 'SIGTERM')
  }
  expect(await exited).toBe(0)
})

test('npm run demo -- --route /v1/events/batch runs the session on v1, adds a turn with a tool call as a tree, prints both', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const env = { ...process.env }
  delete env.HH_API_KEY
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['scripts/demo.mjs', '--route', '/v1/events/batch'],
      { cwd: root, env, timeout: 30_000 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    ),
  )
  // The five chat calls, then the tool turn: its chain, two model calls and one tool event.
  expect(stdout).toContain('flush() → {"sent":9,"failed":0,"dropped":0,"queued":0}')
  expect(stdout).toMatch(/#2 .* POST \/v1\/events\/batch {2}3 events → 200/)
  expect(stdout).toMatch(/Stored 9 events \(9 unique ids\)/)
  expect(stdout).not.toContain('onError')
  // The tree as it arrived (from the stored events' parent_id): five calls under the session, then the turn
  // with the model asking for the tool, the tool with its input and output, and the model answering with it.
  const session = /^session ([0-9a-f-]{36})$/m.exec(stdout)![1]
  const tree = stdout.split(
    `Session ${session} as a tree (parent_id links; HoneyHive renders it so on /v1/events/batch):\n`,
  )[1]
  const lines = tree
    .split('\n')
    .slice(0, 10)
    .map((line) => line.replace(/ +\d+ ms {2}/, ' · ').replace(/ {2,}/g, ' '))
  expect(lines).toEqual([
    ' session',
    ' ├─ model chat · → "You said: Hello!"',
    ' ├─ model chat · → "You said: What is HoneyHive?"',
    ' ├─ model chat · → "You said: Tell me a joke"',
    ' ├─ model chat · error: provider returned 503: model overloaded',
    ' ├─ model chat · → "You said: Thanks, bye"',
    ' └─ chain chat turn · → "It is 18 °C and clear in Paris."',
    ' ├─ model chat · → get_weather({"city":"Paris"})',
    ' ├─ tool get_weather · {"city":"Paris"} → {"city":"Paris","temperature_c":18,"sky":"clear"}',
    ' └─ model chat · → "It is 18 °C and clear in Paris."',
  ])
  // The turn's children are indented under it, not beside it.
  expect(tree.split('\n')[7]).toMatch(/^ {5}├─ model/)
  expect(stdout).toMatch(/^ {2}get_weather │ *█+ *│ +\d+ ms {2}success$/m)
  for (const line of [
    'config.model = "demo-model"',
    'config.provider = "demo"',
    'inputs.chat_history = [2 items]',
    'outputs.role = "assistant"',
    'metadata.prompt_tokens = 30',
  ])
    expect(stdout).toContain(line)
})
