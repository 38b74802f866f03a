import type { TestProject } from 'vitest/node'
import { startUpstream } from './upstream.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the loopback fake HoneyHive (and fake model endpoint) started in Node. */
    upstreamUrl: string
    /** Base URL of a second loopback fake HoneyHive, for the shared scenarios alone (their scripted faults stay theirs). */
    scenarioUpstreamUrl: string
  }
}

/** Starts the loopback upstream in Node before the workerd tests, and stops it after. */
export default async function setup(project: TestProject) {
  const server = await startUpstream()
  const scenarioServer = await startUpstream()
  project.provide('upstreamUrl', server.url)
  project.provide('scenarioUpstreamUrl', scenarioServer.url)
  return () => Promise.all([server.close(), scenarioServer.close()]).then(() => undefined)
}
