// Bundle size side by side (issue 6): this client's `dist/honeyhive-edge.min.js` against the peers the
// bench runs (posthog-js-lite, langfuse v3), each bundled here with the same rollup + terser settings as
// our own bundle, for browsers, tree-shaken to its client class. Run after a build: `node bench/size.mjs`.
// Reports only; the budget is enforced by scripts/size.mjs.
import { readFileSync } from 'node:fs'
import nodeResolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import { rollup } from 'rollup'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const peers = {
  'posthog-js-lite': "export { PostHog } from 'posthog-js-lite'",
  langfuse: "export { Langfuse } from 'langfuse'",
}

/** One entry's minified code, with the settings of rollup.config.mjs's min.js output. */
async function bundle(source) {
  const entry = '\0bench-size-entry'
  const build = await rollup({
    input: entry,
    onwarn: () => {},
    plugins: [
      { name: 'entry', resolveId: (id) => (id === entry ? id : null), load: (id) => (id === entry ? source : null) },
      nodeResolve({ browser: true }),
      terser({ ecma: 2022, module: true, compress: { passes: 2 } }),
    ],
  })
  const { output } = await build.generate({ format: 'es' })
  return Buffer.from(output[0].code)
}

const measure = (code) => ({
  minified: code.length,
  gzip: gzipSync(code, { level: 9 }).length,
  brotli: brotliCompressSync(code, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: code.length },
  }).length,
})

const rows = [['honeyhive-edge', measure(readFileSync(new URL('../dist/honeyhive-edge.min.js', import.meta.url)))]]
for (const [name, source] of Object.entries(peers)) rows.push([name, measure(await bundle(source))])

const kib = (bytes) => (bytes / 1024).toFixed(2)
const ours = rows[0][1].gzip
console.log('| bundle | minified KiB | gzip KiB | brotli KiB | gzip × honeyhive-edge |')
console.log('|:--|--:|--:|--:|--:|')
for (const [name, size] of rows) {
  console.log(
    `| ${name} | ${kib(size.minified)} | ${kib(size.gzip)} | ${kib(size.brotli)} | ${(size.gzip / ours).toFixed(2)} |`,
  )
}
