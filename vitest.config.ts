import { defineConfig } from 'vitest/config'

// One project per runtime. The behaviour suites (test/*.test.ts) run twice: in Node and under
// happy-dom (its fetch, Request, Blob and DOM globals). Runtime-only suites live in test/<runtime>/.
const shared = ['test/*.test.ts']

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: [...shared, 'test/node/**/*.test.ts', 'test/providers/**/*.test.ts'],
        },
      },
      { test: { name: 'happy-dom', environment: 'happy-dom', include: [...shared, 'test/dom/**/*.test.ts'] } },
      // Runtime suites with their own pools or launchers (browser, workers, deno, bun, edge-runtime), one config
      // each; they run the shared scenarios of test/scenarios/.
      'test/*/vitest.config.ts',
    ],
  },
})
