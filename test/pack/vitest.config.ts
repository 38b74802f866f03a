import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The package as users get it: `npm pack`, installed offline into a temporary project, its `bin` run with
// npx. Once per `npm test` (not on every Node line: npx runs the bin on the Node found on PATH).
export default defineConfig({
  test: {
    name: 'pack',
    environment: 'node',
    include: [fileURLToPath(new URL('./*.test.ts', import.meta.url))],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
