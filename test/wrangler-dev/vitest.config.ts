import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The relay Worker of wrangler.toml under `wrangler dev` (workerd, offline; its own process group): the
// default environment, and [env.queues] with a local Cloudflare Queue. Node drives it, once, on the Node
// that runs npm (wrangler is a dev tool: the Node lines of scripts/node-lines.mjs need not run it again).
export default defineConfig({
  test: {
    name: 'wrangler-dev',
    environment: 'node',
    include: [fileURLToPath(new URL('./*.test.ts', import.meta.url))],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
