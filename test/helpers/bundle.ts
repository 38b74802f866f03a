import { existsSync } from 'node:fs'
import nodeResolve from '@rollup/plugin-node-resolve'
import { rollup, type Plugin } from 'rollup'
import ts from 'typescript'

// Bundles a test entry and what it imports (the built dist files, ky, valibot, the shared scenarios) into
// one script, as a platform's bundler does for runtimes that take no module graph: Vercel's Edge Runtime
// evaluates one script per function; a test page loads one file. TypeScript is stripped, not type-checked
// (`npm run typecheck` does that).

const stripTypes: Plugin = {
  name: 'strip-types',
  resolveId(source, importer) {
    // The sources import `./x.js` for `./x.ts`, as TypeScript's bundler resolution allows.
    if (!importer?.endsWith('.ts') || !source.startsWith('.') || !source.endsWith('.js')) return null
    const candidate = new URL(source.replace(/\.js$/, '.ts'), `file://${importer}`).pathname
    return existsSync(candidate) ? candidate : null
  },
  transform(code, id) {
    if (!id.endsWith('.ts')) return null
    const compilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true }
    return { code: ts.transpileModule(code, { compilerOptions, fileName: id }).outputText, map: null }
  },
}

/**
 * One script of `input` (a file path) and its imports. `format: 'iife'` assigns the entry's exports to the
 * global `name`; `'es'` keeps them as module exports. `conditions` are the package export conditions used.
 */
export async function bundle(
  input: string,
  options: { format: 'iife' | 'es'; name?: string; conditions: string[] },
): Promise<string> {
  const build = await rollup({
    input,
    plugins: [
      stripTypes,
      nodeResolve({ exportConditions: options.conditions, browser: options.conditions.includes('browser') }),
    ],
    logLevel: 'silent',
  })
  try {
    const { output } = await build.generate({ format: options.format, name: options.name })
    return output[0].code
  } finally {
    await build.close()
  }
}
