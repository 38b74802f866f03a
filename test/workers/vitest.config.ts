import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import './global-setup.js'
import { workersKey, workersOrigin } from './upstream.js'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

// workerd comes from an optional platform package of `workerd` (a dependency of the pool): a missing one
// fails the run under CI=true, and locally skips this project with a hint.
const workerd = here('../../node_modules/.bin/workerd')
const hasWorkerd = spawnSync(workerd, ['--version'], { stdio: 'ignore' }).status === 0
if (!hasWorkerd) {
  const hint = `workerd is missing (${workerd}): run \`npm ci\` on a platform @cloudflare/workerd-* supports`
  if (process.env.CI === 'true') throw new Error(`[workers suite] ${hint}`)
  console.warn(`[workers suite] skipped: ${hint}`)
}

// Runs test/workers/*.test.ts inside workerd (Miniflare), with the relay Worker of ../../wrangler.toml as
// `main`. The fake HoneyHive runs in Node (global-setup.ts); its loopback URL reaches the Worker as a binding.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: here('../../worker/relay.ts'),
      wrangler: { configPath: here('../../wrangler.toml') },
      miniflare: {
        // The pool turns nodejs_compat on for its runner by itself; wrangler.toml sets no flags, and
        // test/node/relay-wrangler-dev.test.ts proves the relay runs without them.
        bindings: {
          HH_API_KEY: workersKey,
          HH_BASE_URL: inject('upstreamUrl'),
          HH_ALLOWED_ORIGINS: workersOrigin,
          MODEL_URL: `${inject('upstreamUrl')}/v1/chat/completions`,
        },
      },
    })),
  ],
  test: {
    name: 'workers',
    include: hasWorkerd ? [here('./*.test.ts')] : [],
    globalSetup: [here('./global-setup.ts'), here('./providers-setup.ts')],
  },
})
