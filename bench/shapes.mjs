// How log() costs grow with an event's shape (issue 12, point 7): events of about the same JSON size as a
// flat one, but shaped as a wide object, a 90-level chain, 2,000- and 5,000-level chains (cut at 100 levels) and a string full of
// characters JSON escapes, each logged with a maxEventBytes that forces truncation. Prints µs per log()
// and the ratio to the flat event, measured in this process. Run after a build: `node bench/shapes.mjs`.
// Reports only: it never fails on timing.
import { createClient } from '../dist/index.js'

const size = 200_000
const chain = (depth) => {
  const root = {}
  let node = root
  const text = 'x'.repeat(Math.floor(size / depth))
  for (let i = 0; i < depth; i++) node = node.next = { text }
  return root
}
const shapes = {
  flat: () => ({ inputs: { text: 'x'.repeat(size) } }),
  wide: () => ({
    inputs: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 'x'.repeat(size / 2000)])),
  }),
  'chain 90': () => ({ metadata: chain(90) }),
  'chain 2,000 (cut at 100)': () => ({ metadata: chain(2000) }),
  'chain 5,000 (cut at 100)': () => ({ metadata: chain(5000) }),
  escaped: () => ({ inputs: { text: '"\\'.repeat(size / 2) } }),
}

// No network: the client queues and truncates; the bench times log() alone.
const hh = createClient({
  baseUrl: 'http://127.0.0.1:9',
  maxEventBytes: 64 * 1024,
  flushAt: 1000,
  flushIntervalMs: 60_000,
  maxQueueSize: 100_000,
  onError: () => {},
})
const time = (make, rounds) => {
  const events = Array.from({ length: rounds }, make)
  const started = performance.now()
  for (const event of events) hh.log(event)
  return ((performance.now() - started) * 1000) / rounds
}
const rows = []
for (const [name, make] of Object.entries(shapes)) {
  time(make, 5)
  rows.push([name, time(make, 20)])
}
const flat = rows[0][1]
console.log(`| shape (~${size / 1000} KB, cut to 64 KiB) | µs per log() | × flat |\n|:--|--:|--:|`)
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(0)} | ${(us / flat).toFixed(2)} |`)
await hh.shutdown({ timeoutMs: 0 })
