// Size budget and packaging checks (issue 6). Run after a build: `node scripts/size.mjs`.
// Prints one line per check and exits non-zero when the minified client is over budget (gzip level 9)
// or publint reports an error. Pure Node (zlib) plus publint, a dev dependency.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bundle = 'dist/honeyhive-edge.min.js'
/**
 * The budget CI enforces for the whole client (ky and valibot inlined), gzip level 9: 16 KiB, a guard
 * against regressions at today's size. The product target is 13 KiB (issue 6) and is not met yet: ky 2.1
 * alone is 8.5 KiB and valibot with our schema 2.1 KiB, which leaves 2.4 KiB for the client, unload
 * included (see the issue 6 note and bench/README.md for the measured cuts).
 */
const gzipBudget = 16 * 1024
const gzipTarget = 13 * 1024

let failed = false
const kib = (bytes) => `${(bytes / 1024).toFixed(2)} KiB (${bytes} B)`

// 1. Size of the minified client.
const path = join(root, bundle)
if (!existsSync(path)) {
  console.log(`✗ size: ${bundle} is missing; run \`npx rollup -c\` (or \`npm run build\`) first`)
  process.exit(1)
}
const code = readFileSync(path)
const gzip = gzipSync(code, { level: 9 }).length
const brotli = brotliCompressSync(code, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: code.length },
}).length
const overBy = gzip - gzipBudget
console.log(
  `${overBy > 0 ? '✗' : '✓'} size: ${bundle} is ${kib(gzip)} gzip, ${kib(brotli)} brotli, ${kib(code.length)} minified; ` +
    `budget ${kib(gzipBudget)} gzip: ${overBy > 0 ? `over by ${overBy} B` : `${-overBy} B to spare`}`,
)
if (overBy > 0) failed = true
if (gzip > gzipTarget) console.log(`- size target ${kib(gzipTarget)} gzip not met yet: ${gzip - gzipTarget} B over (not a failure)`)

// 2. Packaging, with publint (errors fail, warnings and suggestions are printed).
try {
  const { publint } = await import('publint')
  const { formatMessage } = await import('publint/utils')
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const { messages } = await publint({ pkgDir: root, level: 'suggestion' })
  const errors = messages.filter((message) => message.type === 'error')
  for (const message of messages) console.log(`  publint ${message.type}: ${formatMessage(message, pkg) ?? message.code}`)
  const warnings = messages.filter((message) => message.type === 'warning').length
  console.log(
    `${errors.length > 0 ? '✗' : '✓'} publint: ${errors.length} error(s), ${warnings} warning(s), ${messages.length - errors.length - warnings} suggestion(s)`,
  )
  if (errors.length > 0) failed = true
} catch (error) {
  console.log(`✗ publint: could not run (${error.message}); is the publint dev dependency installed?`)
  failed = true
}

// 3. @arethetypeswrong/cli: not a dependency of this project; checked only when someone installs it.
try {
  await import('@arethetypeswrong/core')
  console.log('- attw: @arethetypeswrong/core is installed but not wired into this script yet; skipped')
} catch {
  console.log('- attw: @arethetypeswrong/cli is not installed; skipped')
}

process.exit(failed ? 1 : 0)
