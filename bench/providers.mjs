// Stream benchmark (issue 10): a 10,000-chunk OpenAI chat completion stream from a loopback fake provider,
// consumed with the real openai SDK raw and through trackOpenAI, side by side in one run. Run after a
// build: `node bench/providers.mjs [--rounds N]`. Reports only: it never fails on timing.
//
// The parent process serves the stream (its CPU is not counted); one child process consumes it, alternating
// raw and tracked rounds after a warm-up, and measures its own CPU time (process.cpuUsage) and wall time per
// stream. The target: trackOpenAI adds at most 5 % CPU, judged by the median of the per-round ratios.
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'

const chunks = 10_000
const argRounds = process.argv.indexOf('--rounds')
const rounds = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 61
const streams = 3
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

// ---------- child side: consume the stream, raw and tracked ----------

if (process.argv[2] === '--child') {
  const { default: OpenAI } = await import('openai')
  const { createClient } = await import('../dist/index.js')
  const { trackOpenAI } = await import('../dist/openai.js')
  const openai = new OpenAI({ apiKey: 'sk-bench-not-a-key', baseURL: `${process.argv[3]}/v1`, maxRetries: 0 })
  // The events go to an in-process answer: the bench measures the adapter, not a network.
  const ok = () => Promise.resolve(Response.json({ event_ids: [], success: true }))
  const hh = createClient({ baseUrl: 'http://127.0.0.1:9', fetch: ok })
  const params = {
    model: 'gpt-bench',
    messages: [{ role: 'user', content: 'Count' }],
    stream: true,
    stream_options: { include_usage: true },
  }

  /** One sample: `streams` streams consumed as a chat UI would (the text accumulated), CPU and wall time. */
  async function consume(tracked) {
    // Each sample starts from a collected heap, so one side does not pay for the other's garbage.
    globalThis.gc()
    const cpu = process.cpuUsage()
    const started = performance.now()
    for (let i = 0; i < streams; i++) {
      const call = openai.chat.completions.create(params)
      const stream = tracked ? await trackOpenAI(hh, params, call) : await call
      let text = ''
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      if (text.length !== chunks * 4) throw new Error(`read ${text.length} characters, expected ${chunks * 4}`)
    }
    const used = process.cpuUsage(cpu)
    const wall = performance.now() - started
    // The events are logged (validated, encoded, queued) inside the timing; sending the batch is the
    // client's delivery, which bench/run.mjs measures, so it happens after.
    if (tracked) await hh.flush()
    return { cpuMs: (used.user + used.system) / 1000 / streams, wallMs: wall / streams }
  }

  for (let i = 0; i < 3; i++) (await consume(false), await consume(true))
  const results = []
  // Alternate which goes first, so neither side always runs on a warmer process.
  for (let i = 0; i < rounds; i++) {
    const pair =
      i % 2 ? [await consume(true), await consume(false)].reverse() : [await consume(false), await consume(true)]
    results.push({ raw: pair[0], tracked: pair[1] })
  }
  const stats = hh.stats()
  process.send({ results, sent: stats.sent }, () => process.exit(0))
}

// ---------- parent side: the fake provider ----------

if (process.argv[2] !== '--child') {
  const base = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_767_225_600,
    model: 'gpt-bench-2026-01-01',
  }
  const frame = (data) => `data: ${JSON.stringify(data)}\n\n`
  const chunk = (delta, finish_reason = null) =>
    frame({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason }], usage: null })
  // The SSE body, cut in pieces of 100 chunks as a provider would flush them.
  const pieces = [chunk({ role: 'assistant', content: '' })]
  for (let i = 0; i < chunks; i += 100) pieces.push(chunk({ content: 'tok ' }).repeat(100))
  pieces.push(
    chunk({}, 'stop'),
    frame({ ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: chunks, total_tokens: chunks + 3 } }),
    'data: [DONE]\n\n',
  )
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      let next = 0
      const write = () => {
        while (next < pieces.length) if (!res.write(pieces[next++])) return void res.once('drain', write)
        res.end()
      }
      write()
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${server.address().port}`
  const child = fork(fileURLToPath(import.meta.url), ['--child', url, '--rounds', String(rounds)], {
    execArgv: ['--expose-gc', '--single-threaded-gc'],
  })
  const { results, sent } = await new Promise((resolve, reject) => child.once('message', resolve).once('error', reject))
  server.close()

  console.log(
    `${chunks.toLocaleString('en')}-chunk chat completion stream, openai SDK, ${rounds} rounds after a warm-up (Node ${process.version})`,
  )
  console.log(
    '| round | raw CPU ms | trackOpenAI CPU ms | × raw (CPU) | raw wall ms | trackOpenAI wall ms | × raw (wall) |',
  )
  console.log('|--:|--:|--:|--:|--:|--:|--:|')
  const fixed = (n) => n.toFixed(1)
  results.forEach(({ raw, tracked }, i) =>
    console.log(
      `| ${i + 1} | ${fixed(raw.cpuMs)} | ${fixed(tracked.cpuMs)} | ${(tracked.cpuMs / raw.cpuMs).toFixed(3)} | ${fixed(raw.wallMs)} | ${fixed(tracked.wallMs)} | ${(tracked.wallMs / raw.wallMs).toFixed(3)} |`,
    ),
  )
  const cpu = median(results.map(({ raw, tracked }) => tracked.cpuMs / raw.cpuMs))
  const wall = median(results.map(({ raw, tracked }) => tracked.wallMs / raw.wallMs))
  // The fastest sample of each side is the one least disturbed by other work on the machine.
  const least = (side) => Math.min(...results.map((round) => round[side].cpuMs))
  console.log(
    `median × raw: CPU ${cpu.toFixed(3)}, wall ${wall.toFixed(3)}; fastest samples: CPU ${(least('tracked') / least('raw')).toFixed(3)}; events delivered: ${sent}`,
  )
  console.log(
    `${cpu <= 1.05 ? '✓' : '✗'} target: trackOpenAI adds at most 5 % CPU to consuming the stream (median ${((cpu - 1) * 100).toFixed(1)} %)`,
  )
}
