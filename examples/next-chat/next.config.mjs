// The example imports the package by its name, as your app would; here the name resolves to this repo's build
// (`npx rollup -c` writes ../../dist), so the example always runs the code beside it. In your project,
// `npm install honeyhive-edge` and drop `resolveAlias` and `turbopack.root`.
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const entries = ['ai-sdk', 'relay']

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The repo root, so Turbopack may read ../../dist and the offline model in ../worker.
  turbopack: {
    root,
    resolveAlias: {
      'honeyhive-edge': './dist/index.js',
      ...Object.fromEntries(entries.map((entry) => [`honeyhive-edge/${entry}`, `./dist/${entry}.js`])),
    },
  },
  outputFileTracingRoot: root,
}

export default nextConfig
