import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Node drives Vercel's Edge Runtime (edge-runtime's EdgeVM): edge-runtime.test.ts bundles the edge function,
// evaluates it in the VM and runs the shared scenarios there.
export default defineConfig({
  test: {
    name: 'edge-runtime',
    environment: 'node',
    include: [fileURLToPath(new URL('./*.test.ts', import.meta.url))],
  },
})
