import { createRelay, type Relay, type RelayContext } from '../src/relay.js'

/** The Worker's bindings, as wrangler.toml declares them. */
export interface RelayEnv {
  /** Secret: `wrangler secret put HH_API_KEY`. */
  HH_API_KEY: string
  /** Exact origins allowed to post, comma-separated. */
  HH_ALLOWED_ORIGINS: string
  /** Upstream API origin. @default 'https://api.honeyhive.ai' */
  HH_BASE_URL?: string
  HH_PROJECT?: string
  HH_SOURCE?: string
}

// One relay per env object, built on the first request: nothing runs at module scope, where Workers forbid
// I/O and timers (field notes §3). The relay holds configuration only, no promise or stream of a request.
const relays = new WeakMap<RelayEnv, Relay>()

function relayFor(env: RelayEnv): Relay {
  let relay = relays.get(env)
  if (!relay) {
    relay = createRelay({
      apiKey: env.HH_API_KEY,
      baseUrl: env.HH_BASE_URL || undefined,
      allowedOrigins: String(env.HH_ALLOWED_ORIGINS ?? '').split(',').map((origin) => origin.trim()).filter(Boolean),
      project: env.HH_PROJECT || undefined,
      source: env.HH_SOURCE || undefined,
    })
    relays.set(env, relay)
  }
  return relay
}

/** The relay Worker (wrangler.toml `main`): `createRelay` configured from the env, delivering in `waitUntil`. */
export default {
  async fetch(request: Request, env: RelayEnv, ctx: RelayContext): Promise<Response> {
    let relay: Relay
    try {
      relay = relayFor(env)
    } catch (error) {
      // A ConfigError names the option, never the key's value.
      return new Response(`Relay misconfigured: ${(error as Error).message}`, { status: 500 })
    }
    return relay(request, ctx)
  },
}
