import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// examples/next-chat built with `next build`, started with `next start` on loopback and driven by Debian's
// Chromium; its events go to the inspector. The build takes most of the time: one build for the whole suite.
export default defineConfig({
  test: {
    name: 'next-chat',
    environment: 'node',
    include: [fileURLToPath(new URL('./*.test.ts', import.meta.url))],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
})
