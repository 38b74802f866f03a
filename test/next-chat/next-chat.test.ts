import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { hasChromium, launchChromium } from '../helpers/chromium.js'
import { freePort } from '../helpers/wrangler-dev.js'

// examples/next-chat as a user runs it: `next build`, then `next start` on a free loopback port, offline (the
// offline model, no OpenAI key) with its events going to the inspector (dist/inspector.js, as `honeyhive-edge
// dev` runs it). Headless Chromium chats, uses the tool, stops a reply and clicks a thumb; the inspector must
// hold each turn as a tree and the thumb as feedback on its turn. Run `npx rollup -c` first: the example
// imports the package by its name, which resolves to ../../dist.
const ci = process.env.CI === 'true'
if (!hasChromium && !ci) console.warn('[next-chat suite] skipped: no Chromium. Install it: apt-get install -y chromium')

const app = fileURLToPath(new URL('../../examples/next-chat/', import.meta.url))
const nextBin = fileURLToPath(new URL('../../node_modules/next/dist/bin/next', import.meta.url))
// Built where `next build` builds (tsconfig.json names .next/types), removed before and after.
const distDir = '.next'
type Summary = {
  event_id: string
  event_type: string
  parent_id?: string
  status: string
  feedback?: { thumb?: string }
}
type Request = { method: string; path: string; status?: number }
type Running = {
  baseUrl: string
  inspector: { events(sessionId?: string): Summary[]; requests(): Request[] }
  close(): Promise<void>
}

let inspector: Running
let server: ChildProcess | undefined
let output = ''
let url = ''
let context: BrowserContext
let closeChromium: (() => Promise<void>) | undefined

/** Runs `next <args>` in the example with the suite's environment; resolves when `ready` matches its output. */
function next(args: string[], env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, [nextBin, ...args], {
    cwd: app,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NEXT_TELEMETRY_DISABLED: '1',

      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      if (ready.test(output)) resolve(child)
    }
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
    child.on('exit', (code) => reject(new Error(`next ${args[0]} exited ${code}:\n${output.slice(-3000)}`)))
  })
}

/** Waits until `check` holds, or fails with `what`. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !check(); await new Promise((resolve) => setTimeout(resolve, 50)))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
}

/** Sends `text` and waits until the reply stops streaming. */
async function say(page: Page, text: string): Promise<void> {
  const replies = await page.locator('.message.assistant').count()
  await page.fill('#message', text)
  await page.click('#send')
  await page.locator('.message.assistant').nth(replies).waitFor()
  await page.waitForSelector('#status[data-status="ready"]', { timeout: 20_000 })
}

describe.skipIf(!hasChromium && !ci)('examples/next-chat built and started, in headless Chromium', () => {
  beforeAll(async () => {
    // Chromium first: under CI=true a missing one fails at once, before the build.
    ;({ context, close: closeChromium } = await launchChromium())
    if (!existsSync(fileURLToPath(new URL('../../dist/inspector.js', import.meta.url))))
      throw new Error('dist/ is missing: run `npx rollup -c` first (the example imports the built package)')
    const { startInspector } = await import('../../dist/inspector.js' as string)
    inspector = await startInspector({ port: 0 })
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    rmSync(`${app}${distDir}`, { recursive: true, force: true })
    const env = { HH_BASE_URL: inspector.baseUrl, ALLOWED_ORIGINS: url }
    const build = await next(['build'], env, /$^/).catch((error: Error) => error)
    // `next build` resolves nothing (its pattern never matches): it rejects with its exit code when done.
    if (!/exited 0/.test(String(build))) throw build
    server = await next(['start', '-H', '127.0.0.1', '-p', String(port)], env, /Ready in/)
  })
  afterAll(async () => {
    await closeChromium?.()
    server?.kill()
    await inspector?.close()
    // What the build wrote: the lint step would read it otherwise. Both are made again by the next build.
    rmSync(`${app}${distDir}`, { recursive: true, force: true })
    rmSync(`${app}next-env.d.ts`, { force: true })
    rmSync(`${app}cache`, { recursive: true, force: true })
  })

  test('chats, calls the tool, stops a reply and rates one: trees and feedback reach the inspector', async () => {
    const page = await context.newPage()
    await page.goto(url)
    await say(page, 'hello')
    const full = await page.locator('.message.assistant').nth(0).locator('.text').allTextContents()
    expect(full.join('')).toMatch(/^You said: hello\. /)

    await say(page, 'weather in Paris?')
    const weather = page.locator('.message.assistant').nth(1)
    await expect.poll(() => weather.locator('.tool').textContent()).toContain('sunny and 21 °C in Paris')
    expect((await weather.locator('.text').allTextContents()).join('')).toContain('From the weather tool: sunny')

    // A long message makes a long echo: stop it after its first words.
    await page.fill('#message', `tell me more ${'and more '.repeat(40)}`)
    await page.click('#send')
    const stopped = page.locator('.message.assistant').nth(2)
    await stopped.locator('.text', { hasText: 'You said' }).first().waitFor()
    await page.click('#stop')
    await page.waitForSelector('#status[data-status="ready"]')
    const partial = (await stopped.locator('.text').allTextContents()).join('')
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect((await stopped.locator('.text').allTextContents()).join('')).toBe(partial)
    expect(partial).not.toContain('offline model')

    await page.locator('.message.assistant').nth(1).getByRole('button', { name: 'thumbs up' }).click()
    await page.locator('.message.assistant').nth(1).locator('.rated').waitFor()

    const events = () => inspector.inspector.events()
    const chains = () => events().filter((event) => event.event_type === 'chain')
    await until(() => chains().length === 3, 'three chains at the inspector')
    const [hello, tool, cancelled] = chains()
    const under = (chain: Summary) => events().filter((event) => event.parent_id === chain.event_id)
    expect(under(hello).map((event) => event.event_type)).toEqual(['model'])
    expect(under(tool).map((event) => event.event_type)).toEqual(['model', 'tool', 'model'])
    expect(events().filter((event) => event.event_type === 'tool')).toHaveLength(1)
    expect([hello.status, tool.status]).toEqual(['success', 'success'])
    expect(cancelled.status).toBe('cancelled')
    expect(new Set(events().map((event) => event.parent_id ?? 'root')).size).toBe(3 + 1)

    await until(() => chains()[1].feedback?.thumb === 'up', 'the thumb on the tool turn')
    expect(chains().map((chain) => chain.feedback?.thumb)).toEqual([undefined, 'up', undefined])
    // It came through the app's relay, with the key, as HoneyHive's v1 update of that one event.
    expect(inspector.inspector.requests().filter((request) => request.method === 'PUT')).toEqual([
      expect.objectContaining({ path: `/v1/events/${tool.event_id}`, status: 200 }),
    ])
  })
})
