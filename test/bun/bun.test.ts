import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describeProcessRuntime, gate, versionOf } from '../helpers/runtime-suite.js'

// Bun from the `bun` npm package. Its postinstall links the platform binary to node_modules/bun/bin/bun.exe
// (an ELF file despite the name); without the postinstall only @oven/bun-linux-x64/bin/bun exists.
const root = fileURLToPath(new URL('../..', import.meta.url))
const candidates = ['node_modules/bun/bin/bun.exe', 'node_modules/@oven/bun-linux-x64/bin/bun'].map(
  (path) => root + path,
)
const bun = candidates.find((path) => existsSync(path) && versionOf(path))
const hint = 'no runnable bun binary: run `npm ci` (devDependency "bun"; its binary comes from @oven/bun-linux-x64)'

if (gate('bun', bun !== undefined, hint)) {
  describeProcessRuntime({
    name: 'bun',
    title: `Bun ${versionOf(bun!)}`,
    // DO_NOT_TRACK: no crash report or telemetry leaves the machine.
    command: [bun!, '--no-install', 'test/bun/run.ts'],
    cwd: root,
    env: { DO_NOT_TRACK: '1' },
    key: 'hh-bun-test-key-2c4e',
  })
}
