// Side-by-side benchmark (issue 6): this client, a naive baseline, posthog-js-lite and langfuse v3, against
// one loopback server, with the same ~1 KiB chat events. Run after a build: `node bench/run.mjs [--quick]`.
// Reports only: it never fails on timing.
//
// The parent process hosts the server (its CPU is not counted against anyone) and runs every contender
// phase in a fresh child process (node --expose-gc), so one contender's heap, JIT state and pending
// timers cannot skew the next one.
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'

const quick = process.argv.includes('--quick')
const here = fileURLToPath(import.meta.url)
const config = {
  cpuCalls: quick ? 2_000 : 10_000,
  events: quick ? 20_000 : 100_000,
  outageEvents: quick ? 20_000 : 100_000,
  burst: 100,
  // Caps per phase (a peer that cannot keep up is measured over what it did in that time).
  timeLimitMs: quick ? 10_000 : 30_000,
  // Rounds of the two target ratios (the first is the table's run; the others alternate the pair).
  rounds: 3,
}
const contenders = ['bare', 'kept', 'naive', 'honeyhive-edge', 'posthog-js-lite', 'langfuse']
/** Baselines that only have a CPU figure. */
const floors = ['bare', 'kept']

// ---------- child side ----------

if (process.argv[2] === '--child') {
  const { runPhase } = await import('./contenders.mjs')
  const [, , , name, phase, baseUrl, configJson] = process.argv
  const result = await runPhase(name, phase, baseUrl, JSON.parse(configJson))
  process.send(result, () => process.exit(0))
}

// ---------- parent side ----------

/** Counts events and requests per contender (first path segment); answers each API's success shape fast. */
function startServer() {
  const counts = new Map()
  const server = createServer((req, res) => {
    const [, tag, ...rest] = (req.url ?? '/').split('/')
    const route = `/${rest.join('/')}`
    const count = counts.get(tag) ?? counts.set(tag, { events: 0, requests: 0 }).get(tag)
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify(count))
    }
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      let body = {}
      try {
        body = JSON.parse(Buffer.concat(chunks).toString())
      } catch {}
      const events = body.model_events ?? body.batch ?? []
      count.events += events.length
      count.requests++
      let answer
      if (route.startsWith('/events/model/batch')) answer = { event_ids: events.map((e) => e.event_id), success: true }
      else if (route.startsWith('/api/public/ingestion'))
        answer = { successes: events.map((e) => ({ id: e.id, status: 201 })), errors: [] }
      else answer = { status: 1 }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer))
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port })))
}

/** A loopback port with nothing listening: bound, then released. */
function deadPort() {
  const server = createServer()
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    }),
  )
}

function runChild(name, phase, baseUrl) {
  return new Promise((resolve) => {
    const child = fork(here, ['--child', name, phase, baseUrl, JSON.stringify(config)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    let result
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('message', (message) => (result = message))
    // A contender that never finishes must not hang the bench.
    const killer = setTimeout(() => child.kill('SIGKILL'), config.timeLimitMs * 3 + 30_000)
    child.on('exit', () => {
      clearTimeout(killer)
      resolve(result ?? { error: stderr.trim().split('\n').slice(-3).join(' ') || 'child exited without a result' })
    })
  })
}

const fmt = (value, digits = 1) =>
  value === undefined || value === null || Number.isNaN(value)
    ? '–'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const mb = (bytes) => (bytes === undefined ? undefined : bytes / 2 ** 20)

async function main() {
  const { server, port } = await startServer()
  const dead = await deadPort()
  const started = Date.now()
  const results = {}
  console.log(
    `node ${process.version}, ${quick ? 'quick run' : 'full run'}: ${config.cpuCalls} calls for CPU, ${config.events} events end to end, ${config.outageEvents} events into an outage; each phase in a fresh child process\n`,
  )
  for (const name of contenders) {
    results[name] = {}
    for (const phase of floors.includes(name) ? ['cpu'] : ['cpu', 'e2e', 'outage']) {
      const url = phase === 'outage' ? `http://127.0.0.1:${dead}/${name}` : `http://127.0.0.1:${port}/${name}-${phase}`
      results[name][phase] = await runChild(name, phase, url)
    }
  }
  // The two target ratios again, in extra rounds that alternate the pair (bare/ours for CPU, naive/ours
  // end to end), each run in a fresh child under its own server tag: the median of the per-round ratios
  // is what the target lines judge, since one run on a shared machine can swing either way.
  const rounds = {
    cpu: [results['honeyhive-edge'].cpu.cpuUsPerCall / results.bare.cpu.cpuUsPerCall],
    kept: [results['honeyhive-edge'].cpu.cpuUsPerCall / results.kept.cpu.cpuUsPerCall],
    e2e: [results['honeyhive-edge'].e2e.deliveredPerSec / results.naive.e2e.deliveredPerSec],
  }
  for (let round = 2; round <= config.rounds; round++) {
    const run = (name, phase) => runChild(name, phase, `http://127.0.0.1:${port}/${name}-${phase}-r${round}`)
    const ours = (await run('honeyhive-edge', 'cpu')).cpuUsPerCall
    rounds.cpu.push(ours / (await run('bare', 'cpu')).cpuUsPerCall)
    rounds.kept.push(ours / (await run('kept', 'cpu')).cpuUsPerCall)
    const baseline = await run('naive', 'e2e')
    rounds.e2e.push((await run('honeyhive-edge', 'e2e')).deliveredPerSec / baseline.deliveredPerSec)
  }
  const touch = await runChild('bare', 'touch', '')
  server.close()
  server.closeAllConnections()
  if (process.argv.includes('--json')) console.log(JSON.stringify({ config, results, rounds }))

  const naive = results.naive
  const rows = [
    [
      'contender',
      'CPU µs/log',
      '× bare',
      'µs/log idle',
      'CPU µs/event e2e',
      'delivered/s',
      '× naive',
      'requests',
      'peak RSS MB',
      'outage RSS +MB',
      '2nd half +MB',
      'outage heap +MB',
      'outage queue',
    ],
  ]
  for (const name of contenders) {
    const { cpu = {}, e2e = {}, outage = {} } = results[name]
    const complete = e2e.delivered === config.events
    rows.push([
      name,
      fmt(cpu.cpuUsPerCall, 2),
      fmt(cpu.cpuUsPerCall / results.bare.cpu.cpuUsPerCall, 2),
      fmt(cpu.cpuUsPerCallIdle, 2),
      fmt(e2e.cpuUsPerEvent, 2),
      e2e.deliveredPerSec === undefined
        ? '–'
        : `${fmt(e2e.deliveredPerSec, 0)}${complete ? '' : ` (${e2e.delivered}/${config.events})`}`,
      fmt(e2e.deliveredPerSec / naive.e2e.deliveredPerSec, 2),
      e2e.requests === undefined ? '–' : String(e2e.requests),
      fmt(mb(e2e.peakRss), 0),
      outage.logged === undefined
        ? '–'
        : `${fmt(mb(outage.rssGrowth), 1)}${outage.logged === config.outageEvents ? '' : ` (${outage.logged} logged)`}`,
      fmt(mb(outage.rssSecondHalf), 1),
      fmt(mb(outage.heapGrowth), 1),
      outage.queued === undefined ? '–' : String(outage.queued),
    ])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  const line = (row) =>
    `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`
  console.log(line(rows[0]))
  console.log(`|${widths.map((w, i) => (i === 0 ? ':' : '-').padEnd(w + 1, '-') + (i === 0 ? '-' : ':')).join('|')}|`)
  for (const row of rows.slice(1)) console.log(line(row))

  const ours = results['honeyhive-edge']
  const ratio = (a, b) => a / b
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const spread = (values) => `median of ${values.length} rounds: ${values.map((value) => fmt(value, 2)).join(', ')}`
  const cpuRatio = median(rounds.cpu)
  const keptRatio = median(rounds.kept)
  const rateRatio = median(rounds.e2e)
  const peers = ['posthog-js-lite', 'langfuse'].filter((p) => results[p].e2e.deliveredPerSec !== undefined)
  const ahead = peers.every((p) => ours.e2e.deliveredPerSec > results[p].e2e.deliveredPerSec)
  console.log('')
  console.log(
    `target CPU per log() ≤ 1.5× bare work (push + JSON.stringify + valibot safeParse): ${fmt(cpuRatio, 2)}× ${cpuRatio <= 1.5 ? 'met' : 'MISSED'} (${spread(rounds.cpu)})`,
  )
  console.log(
    `  of which keeping each event: kept (bare + keeping its JSON, the floor of a queue that snapshots) is ${fmt(results.kept.cpu.cpuUsPerCall / results.bare.cpu.cpuUsPerCall, 2)}× bare; ` +
      `honeyhive-edge is ${fmt(keptRatio, 2)}× kept (${spread(rounds.kept)}); this machine: ${fmt(touch.firstUsPerPage, 2)} µs CPU to touch a fresh 4 KiB page, ${fmt(touch.againUsPerPage, 2)} µs again`,
  )
  console.log(
    `target delivered/s ≥ 0.8× naive: ${fmt(rateRatio, 2)}× ${rateRatio >= 0.8 ? 'met' : 'MISSED'} (${spread(rounds.e2e)}); ahead of ${peers.join(' and ')}: ${ahead ? 'yes' : 'NO'}`,
  )
  const naiveHalf = naive.outage.rssSecondHalf
  const signed = (bytes) => `${bytes >= 0 ? '+' : ''}${fmt(mb(bytes), 1)}`
  console.log(
    `target outage RSS growth bounded by the queue: ${signed(ours.outage.rssGrowth)} MB in all, ${signed(ours.outage.rssSecondHalf)} MB over the second half ` +
      `(naive: ${signed(naiveHalf)} MB), heap ${signed(ours.outage.heapGrowth)} MB with ${ours.outage.queued} queued (maxQueueSize default)`,
  )
  for (const name of contenders) {
    for (const [phase, result] of Object.entries(results[name])) {
      if (result.error) console.log(`${name} ${phase}: ${result.error}`)
      if (result.note) console.log(`${name} ${phase}: ${result.note}`)
    }
  }
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; benchmarks report, they never fail on timing)`)
}

if (process.argv[2] !== '--child') await main()
