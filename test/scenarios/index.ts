import { within } from './assert.js'
import { clientScenarios } from './client.js'
import { exitScenario, importScenario, scriptEndScenario } from './lifecycle.js'
import type { Capability, Runtime, Scenario } from './runtime.js'
import { runtimes, type RuntimeName } from './runtimes.js'
import { serveScenarios } from './serve.js'

export type { Capability, Entries, Handler, Runtime, Scenario, ScriptRun, Served } from './runtime.js'
export { quirks, runtimes, type RuntimeName } from './runtimes.js'

/** The one behaviour suite: every runtime's harness runs each scenario it can. */
export const scenarios: Scenario[] = [
  importScenario,
  ...clientScenarios,
  ...serveScenarios,
  exitScenario,
  scriptEndScenario,
]

/** The scenarios `runtime`'s harness can run, in table order. */
export const scenariosFor = (runtime: RuntimeName): Scenario[] =>
  scenarios.filter((scenario) => scenario.needs.every((need) => (runtimes[runtime] as Capability[]).includes(need)))

/** Longest one scenario may take in any runtime (the slowest waits a 1 s Retry-After and a 0.3 s backoff). */
export const scenarioTimeoutMs = 20_000

// What a harness must hand over for each capability (`waitUntil` is checked where a handler is served).
const provided: Record<Capability, (runtime: Runtime) => boolean> = {
  relay: (runtime) => runtime.relay !== undefined,
  serve: (runtime) => runtime.serve !== undefined,
  waitUntil: (runtime) => runtime.serve !== undefined,
  process: (runtime) => runtime.runScript !== undefined && runtime.clientUrl !== undefined,
  fresh: (runtime) => runtime.importFresh !== undefined,
}

/** Runs one scenario by name in `runtime`, failing if it does not settle in time. */
export async function runScenario(runtime: Runtime, name: string): Promise<void> {
  const scenario = scenarios.find((candidate) => candidate.name === name)
  if (!scenario) throw new Error(`no scenario named ${JSON.stringify(name)}`)
  for (const need of scenario.needs) {
    if (!provided[need](runtime))
      throw new Error(`runtimes.ts says ${runtime.name} provides ${need}, but its harness does not`)
  }
  await within(() => scenario.run(runtime), scenarioTimeoutMs, name)
}

/** Prefix of the report lines a runtime prints for its Node driver (test/helpers/runtime-suite.ts). */
export const reportPrefix = '@@scenario '

/** What a runtime reports of one scenario. */
export interface Report {
  name: string
  ok: boolean
  error?: string
  ms: number
}

/**
 * Runs every scenario `runtime` can, one after another (they share the fake's scripted faults), and
 * prints one report line each. For runtimes that run outside vitest (Bun, Deno).
 */
export async function reportScenarios(
  name: RuntimeName,
  runtime: Runtime,
  print: (line: string) => void = console.log,
): Promise<void> {
  for (const scenario of scenariosFor(name)) {
    const started = Date.now()
    let report: Report
    try {
      await runScenario(runtime, scenario.name)
      report = { name: scenario.name, ok: true, ms: Date.now() - started }
    } catch (error) {
      const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)
      report = { name: scenario.name, ok: false, error: message, ms: Date.now() - started }
    }
    print(reportPrefix + JSON.stringify(report))
  }
}
