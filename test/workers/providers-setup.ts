import type { TestProject } from 'vitest/node'
import { serve } from '../../src/node.js'
import { createFakeProvider } from '../helpers/fake-provider.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the loopback fake model provider (OpenAI and Anthropic APIs) started in Node. */
    providerUrl: string
  }
}

/** Starts the fake provider in Node before the workerd tests (scripted over HTTP: `/__script`, `/__requests`), and stops it after. */
export default async function setup(project: TestProject) {
  const server = await serve(createFakeProvider())
  project.provide('providerUrl', server.url)
  return () => server.close()
}
