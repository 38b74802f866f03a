import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Node drives Deno: deno.test.ts starts the fake HoneyHive and runs the shared scenarios in Deno (run.ts).
export default defineConfig({
  test: {
    name: 'deno',
    environment: 'node',
    include: [fileURLToPath(new URL('./*.test.ts', import.meta.url))],
  },
})
