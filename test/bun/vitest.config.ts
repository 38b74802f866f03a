import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Node drives Bun: bun.test.ts starts the fake HoneyHive and runs the shared scenarios in Bun (run.ts).
export default defineConfig({
  test: {
    name: 'bun',
    environment: 'node',
    include: [fileURLToPath(new URL('./*.test.ts', import.meta.url))],
  },
})
