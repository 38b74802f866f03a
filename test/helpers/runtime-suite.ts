import { spawn, spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, test } from 'vitest'
import { reportPrefix, scenariosFor, type Report, type RuntimeName } from '../scenarios/index.js'
import { startUpstream } from '../workers/upstream.js'

// The Node side of a runtime that runs the shared scenarios in its own process (Bun, Deno): starts the
// loopback fake HoneyHive, runs the runtime's runner once, and turns each report line into a vitest test.

/** The first line `bin --version` prints, or undefined when the binary is missing or does not run. */
export function versionOf(bin: string): string | undefined {
  const result = spawnSync(bin, ['--version'], { encoding: 'utf8' })
  return result.status === 0 ? result.stdout.trim().split('\n')[0] : undefined
}

/**
 * Whether to run a runtime's suite: under CI=true a missing runtime fails it; locally the suite is one
 * skipped test named after `hint` (a file without tests would fail), and the hint is printed.
 */
export function gate(suite: string, available: boolean, hint: string): boolean {
  if (available) return true
  if (process.env.CI === 'true')
    throw new Error(`[${suite} suite] the runtime is missing (CI=true makes this a failure): ${hint}`)
  console.warn(`[${suite} suite] skipped: ${hint}`)
  test.skip(`${suite}: ${hint}`, () => {})
  return false
}

export interface ProcessRuntime {
  name: RuntimeName
  /** The runtime and its version, as the suite is titled. */
  title: string
  /** The command that runs the runtime's runner (test/<runtime>/run.ts); it reads HH_TEST_URL and HH_TEST_KEY. */
  command: string[]
  cwd: string
  env?: Record<string, string>
  /** The key the fake HoneyHive requires; redacted from any output quoted in a failure. */
  key: string
}

/** Runs `command` in its own process group; kills the group after `timeoutMs`. Resolves its exit code and output. */
export function runGroup(
  command: string[],
  options: { cwd: string; env: Record<string, string | undefined>; timeoutMs: number },
) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    }
    const timer = setTimeout(() => {
      output += `\n[killed after ${options.timeoutMs} ms]`
      kill()
    }, options.timeoutMs)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      kill() // scripts the runner started, if any outlived it
      resolve({ code, output })
    })
  })
}

/** Declares one vitest test per scenario the runtime can run, all fed by one run of its runner. */
export function describeProcessRuntime(runtime: ProcessRuntime): void {
  const redact = (text: string) => text.replaceAll(runtime.key, '[redacted]')
  let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined
  let run: Promise<{ reports: Map<string, Report>; output: string }>
  beforeAll(async () => {
    upstream = await startUpstream(runtime.key)
    const env = { ...process.env, ...runtime.env, HH_TEST_URL: upstream.url, HH_TEST_KEY: runtime.key, NO_COLOR: '1' }
    run = runGroup(runtime.command, { cwd: runtime.cwd, env, timeoutMs: 90_000 }).then(({ code, output }) => {
      const reports = new Map<string, Report>()
      for (const line of output.split('\n')) {
        if (line.startsWith(reportPrefix)) {
          const report = JSON.parse(line.slice(reportPrefix.length)) as Report
          reports.set(report.name, report)
        }
      }
      return { reports, output: redact(`exit code ${code}\n${output}`) }
    })
  })
  afterAll(() => upstream?.close())

  describe(runtime.title, () => {
    for (const scenario of scenariosFor(runtime.name)) {
      test(
        scenario.name,
        async () => {
          const { reports, output } = await run
          const report = reports.get(scenario.name)
          if (!report) throw new Error(`the ${runtime.name} runner did not report this scenario:\n${output}`)
          if (!report.ok) throw new Error(redact(report.error ?? 'failed'))
        },
        120_000,
      )
    }
  })
}
