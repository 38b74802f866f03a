import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Node drives Deno: deno.test.ts starts the fake HoneyHive and spawns `deno test` on the *_test.ts files.
export default defineConfig({
  test: {
    name: 'deno',
    environment: 'node',
    include: [fileURLToPath(new URL('./*.test.ts', import.meta.url))],
  },
})
