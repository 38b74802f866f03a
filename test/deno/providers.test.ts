import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { serve, type ServedHandler } from '../../src/node.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { createFakeProvider } from '../helpers/fake-provider.js'

// Drives Deno from Node for the provider integrations: the fake provider and the fake HoneyHive run here on
// loopback, `deno test` runs providers/anthropic_test.ts on the built entries, and this file checks, field
// by field, the events the fake HoneyHive received.

const root = fileURLToPath(new URL('../..', import.meta.url))
const deno = join(root, 'node_modules', '.bin', 'deno')
const available = existsSync(deno) && spawnSync(deno, ['--version'], { stdio: 'ignore' }).status === 0
const ci = process.env.CI === 'true'
if (!available && !ci)
  console.warn('[deno providers suite] skipped: no deno binary. Install it with `npm ci` (devDependency "deno").')

const provider = createFakeProvider()
const honeyhive = createFakeHoneyHive()
const denoDir = mkdtempSync(join(tmpdir(), 'hh-deno-providers-'))
let servers: ServedHandler[] = []
beforeAll(async () => {
  servers = [await serve(provider), await serve(honeyhive)]
})
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()))
  rmSync(denoDir, { recursive: true, force: true })
})

function run(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  if (!available)
    throw new Error('deno is missing (CI=true makes this a failure): run `npm ci` to install the "deno" devDependency')
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

describe.skipIf(!available && !ci)('trackAnthropic in Deno', () => {
  test('a helper stream and a stream stopped with break are each logged once, field by field', async () => {
    const session = crypto.randomUUID()
    provider.script('claude-deno-helper', {
      text: ['Hello ', 'from ', 'Deno'],
      usage: { input: 9, output: 3, cached: 4 },
    })
    provider.script('claude-deno-stopped', {
      text: ['One ', 'two ', 'three'],
      holdAfter: 2,
      usage: { input: 7, output: 3 },
    })
    const [providerServer, honeyhiveServer] = servers
    const env = { HH_TEST_URL: honeyhiveServer.url, PROVIDER_URL: providerServer.url, HH_TEST_SESSION: session }
    // Its own deno.json: node_modules resolution for the SDK, offline.
    const { code, output } = await run(
      ['test', '--allow-net', '--allow-env', '--allow-read', 'anthropic_test.ts'],
      join(root, 'test', 'deno', 'providers'),
      env,
    )
    expect(code, output).toBe(0)
    expect(output).toMatch(/2 passed \| 0 failed/)
    const events = honeyhive.events.filter((event) => event.session_id === session)
    expect(events.map((event) => event.model)).toEqual(['claude-deno-helper', 'claude-deno-stopped'])
    const [helper, stopped] = events as Array<Record<string, any>>
    expect(helper).toMatchObject({
      project: 'deno-providers',
      provider: 'anthropic',
      event_name: 'anthropic.messages',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(helper.response).toEqual({ role: 'assistant', content: 'Hello from Deno' })
    expect(helper.usage).toEqual({
      prompt_tokens: 9,
      completion_tokens: 3,
      total_tokens: 12,
      cache_read_input_tokens: 4,
    })
    expect(helper.metadata).toMatchObject({
      status: 'success',
      stream: true,
      usage_reported: true,
      finish_reason: 'end_turn',
    })
    expect(helper.metadata.time_to_first_token_ms).toBeGreaterThan(0)
    expect(stopped.response).toEqual({ role: 'assistant', content: 'One two ' })
    expect(stopped.usage).toEqual({ prompt_tokens: 7 })
    expect(stopped.metadata).toMatchObject({ status: 'cancelled', stream: true })
    expect(stopped.metadata).not.toHaveProperty('finish_reason')
    expect(provider.requests.find((request) => request.body.model === 'claude-deno-stopped')?.cancelled).toBe(true)
  }, 60_000)
})

describe.skipIf(!available && !ci)('honeyhiveTelemetry in Deno', () => {
  test('two concurrent two-step runs with a tool arrive as two trees: a chain each, its own 2 model and 1 tool event', async () => {
    const session = crypto.randomUUID()
    provider.script(
      'gpt-deno-paris',
      { toolCalls: [{ id: 'call_p', name: 'weather', args: ['{"city":"Paris"}'] }] },
      { text: ['Sunny ', 'in Paris'], delayMs: 15 },
    )
    provider.script(
      'gpt-deno-oslo',
      { toolCalls: [{ id: 'call_o', name: 'weather', args: ['{"city":"Oslo"}'] }] },
      { text: ['Snow ', 'in Oslo'], delayMs: 10 },
    )
    const [providerServer, honeyhiveServer] = servers
    const env = { HH_TEST_URL: honeyhiveServer.url, PROVIDER_URL: providerServer.url, HH_TEST_SESSION: session }
    // `ai` reads the host name (`--allow-sys=hostname`).
    const { code, output } = await run(
      ['test', '--allow-net', '--allow-env', '--allow-read', '--allow-sys=hostname', 'ai_sdk_test.ts'],
      join(root, 'test', 'deno', 'providers'),
      env,
    )
    expect(code, output).toBe(0)
    const events = honeyhive.events.filter((event) => event.session_id === session) as Array<Record<string, any>>
    const chains = events.filter((event) => event.event_type === 'chain')
    expect(events).toHaveLength(8)
    expect(chains).toHaveLength(2)
    for (const chain of chains) {
      const city = chain.outputs.content.includes('Oslo') ? 'Oslo' : 'Paris'
      const children = events.filter((event) => event.parent_id === chain.event_id)
      expect(children.map((event) => event.event_type).sort()).toEqual(['model', 'model', 'tool'])
      expect(children.find((event) => event.event_type === 'tool')!.inputs).toEqual({ city })
      expect(chain).toMatchObject({ event_name: 'deno-turn', metadata: { status: 'success', steps: 2 } })
    }
  }, 60_000)
})
