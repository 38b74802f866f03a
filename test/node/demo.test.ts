import { execFile } from 'node:child_process'
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
})

test('npm run demo -- --route /v1/events/batch runs the same session on v1 and prints where each field landed', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const env = { ...process.env }
  delete env.HH_API_KEY
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['scripts/demo.mjs', '--route', '/v1/events/batch'], { cwd: root, env, timeout: 30_000 }, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
    ),
  )
  expect(stdout).toContain('flush() → {"sent":5,"failed":0,"dropped":0,"queued":0}')
  expect(stdout).toMatch(/#2 .* POST \/v1\/events\/batch {2}3 events → 200/)
  expect(stdout).toMatch(/Stored 5 events \(5 unique ids\)/)
  for (const line of ['config.model = "demo-model"', 'config.provider = "demo"', 'inputs.chat_history = [2 items]', 'outputs.role = "assistant"', 'metadata.prompt_tokens = 30']) expect(stdout).toContain(line)
})
