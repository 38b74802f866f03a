import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Node drives Debian's Chromium with playwright-core: the page, the built bundle and the fake HoneyHive
// are served from loopback, and the tests assert on what the fake received after the page went away.
export default defineConfig({
  test: {
    name: 'browser',
    environment: 'node',
    include: [fileURLToPath(new URL('./*.test.ts', import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
