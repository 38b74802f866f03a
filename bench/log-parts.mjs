// Where the CPU of a tight loop of log() goes (issue 20): the client's own work per event, apart from the
// cost of keeping what each call queues. `node bench/log-parts.mjs [--rounds N]`, after a build; reports only.
//
// One process, the same ~1 KiB events as bench/run.mjs, contenders alternating round by round, each round a
// loop of 10,000 calls after a collected heap; the median per contender is printed with its ratio to bare:
// - bare: JSON.stringify + valibot safeParse of the event (bench/run.mjs's bare work; keeps nothing new);
// - prepare: the client's path from log() to the queue entry (src/prepare.ts: defaults, id, checks,
//   encoding, byte count), bundled from source with esbuild; the entry is dropped, not kept;
// - kept: bare, keeping each JSON string (what any queue that snapshots an event must keep);
// - keeping: CPU per string of a loop that keeps 10,000 JSON strings of 900 B, then of 1,100 B (the
//   client's entries are ~1.25 KiB): what keeping costs by size, apart from any client.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { safeParse } from 'valibot'
import { createChatEvent } from './events.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 15
const calls = 10_000

const bundle = await build({
  stdin: {
    contents: `export { prepareEvent } from './src/prepare.ts'
      export { resolveOptions } from './src/options.ts'
      export { createSession } from './src/session.ts'`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  write: false,
})
const source = `data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString('base64')}`
const { prepareEvent, resolveOptions, createSession } = await import(source)
const { modelEventSchema } = await import('../dist/index.js')

const given = { apiKey: 'bench', baseUrl: 'http://127.0.0.1:9', project: 'bench' }
const options = Object.freeze(resolveOptions(given))
const session = createSession(options)
const events = Array.from({ length: calls }, (_, i) => createChatEvent(i))
let sink = 0

const contenders = {
  bare: () => (event) => {
    sink += JSON.stringify(event).length
    safeParse(modelEventSchema, event)
  },
  prepare: () => (event) => {
    sink += prepareEvent(event, options, session).encoded.bytes
  },
  kept: () => {
    const kept = []
    return (event) => {
      kept.push(JSON.stringify(event))
      safeParse(modelEventSchema, event)
    }
  },
}

const cpu = (run) => {
  const before = process.cpuUsage()
  run()
  const used = process.cpuUsage(before)
  return used.user + used.system
}

/** CPU per string of a loop that keeps `count` JSON strings of about `bytes` each. */
function keeping(bytes, count = calls) {
  const text = 'x'.repeat(bytes - 20)
  const kept = []
  return (
    cpu(() => {
      for (let i = 0; i < count; i++) kept.push(JSON.stringify({ text, i }))
    }) / count
  )
}

const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]))
const keeps = []
for (let round = 0; round < rounds + 2; round++) {
  for (const [name, make] of Object.entries(contenders)) {
    globalThis.gc?.()
    const log = make()
    const us = cpu(() => {
      for (let i = 0; i < calls; i++) log(events[i])
    })
    // The first two rounds warm the JIT up.
    if (round >= 2) samples[name].push(us / calls)
  }
  if (round < 2) continue
  globalThis.gc?.()
  const small = keeping(900)
  globalThis.gc?.()
  keeps.push([small, keeping(1100)])
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
const bare = median(samples.bare)
console.log(`node ${process.version}, ${rounds} rounds of ${calls} calls (median CPU µs per call; ratio to bare)`)
for (const [name, values] of Object.entries(samples)) {
  console.log(`${name.padEnd(8)} ${median(values).toFixed(2).padStart(6)} µs  ${(median(values) / bare).toFixed(2)}×`)
}
const [small, large] = [0, 1].map((i) => median(keeps.map((pair) => pair[i])))
console.log(
  `keeping  ${small.toFixed(2)} µs per string of 900 B, ${large.toFixed(2)} µs of 1,100 B (10,000 kept in one loop)`,
)
void sink
