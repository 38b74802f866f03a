import nodeResolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'
import { readdirSync, readFileSync } from 'node:fs'
import { dts } from 'rollup-plugin-dts'

// Three kinds of output:
// - dist/{index,relay,testing,node,inspector}.js: ESM for bundlers and Node, valibot left as
//   a dependency; dist/cli.js, the bin, and the inspector's page files;
// - dist/honeyhive-edge.min.js: the client entry alone, valibot inlined, minified, for
//   <script type="module">, Deno URL imports and the size budget;
// - dist/*.d.ts: one declaration file per entry.
const entries = {
  index: 'src/index.ts',
  relay: 'src/relay.ts',
  testing: 'src/testing.ts',
  node: 'src/node.ts',
  inspector: 'src/inspector/index.ts',
}
// The provider integrations (issue 10): each its own entry, importing no SDK at runtime.
const providers = {
  openai: 'src/providers/openai.ts',
  anthropic: 'src/providers/anthropic.ts',
  'ai-sdk': 'src/providers/ai-sdk.ts',
}
const ts = () => typescript({ tsconfig: './tsconfig.build.json' })
// The inspector's page (`honeyhive-edge dev`): static files it reads next to its module, copied as they are.
const inspectorPage = {
  name: 'inspector-page',
  generateBundle() {
    for (const file of readdirSync('src/inspector').filter((name) => name.startsWith('inspector-page'))) {
      this.emitFile({ type: 'asset', fileName: file, source: readFileSync(`src/inspector/${file}`) })
    }
  },
}

export default [
  {
    // cli: the `honeyhive-edge` bin (its #! line is kept).
    input: { ...entries, ...providers, cli: 'src/inspector/cli.ts' },
    external: [/^valibot/, /^node:/],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'shared-[hash].js' },
    plugins: [ts(), inspectorPage],
  },
  {
    input: 'src/index.ts',
    output: { file: 'dist/honeyhive-edge.min.js', format: 'es' },
    plugins: [nodeResolve({ browser: true }), ts(), terser({ ecma: 2022, module: true, compress: { passes: 2 } })],
  },
  {
    input: { ...entries, ...providers },
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'shared-[hash].d.ts' },
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
  },
]
