import {
  createRelay,
  type QueueBatch,
  type QueueProducer,
  type Relay,
  type RelayContext,
  type Route,
} from '../src/relay.js'

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
  /** Optional: `/v1/events/batch` forwards in HoneyHive's current format. @default '/events/model/batch' */
  HH_ROUTE?: string
  /** Optional Queues producer (wrangler.toml `[env.queues]`): accepted events are queued before the 202. */
  HH_EVENTS?: QueueProducer
  /** Optional, with HH_EVENTS: the first retry delay of a message HoneyHive did not take, in seconds. @default 5 */
  HH_RETRY_DELAY_SECONDS?: string
  /** Optional: "true" logs each consumer batch with console.debug. */
  HH_DEBUG?: string
  /** Optional secret (`wrangler secret put HH_FEEDBACK_SECRET`): accept pages' feedback with tokens from `createFeedbackToken`. */
  HH_FEEDBACK_SECRET?: string
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
      allowedOrigins: String(env.HH_ALLOWED_ORIGINS ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
      project: env.HH_PROJECT || undefined,
      source: env.HH_SOURCE || undefined,
      route: (env.HH_ROUTE || undefined) as Route | undefined,
      queue: env.HH_EVENTS,
      retryDelaySeconds: env.HH_RETRY_DELAY_SECONDS ? Number(env.HH_RETRY_DELAY_SECONDS) : undefined,
      debug: env.HH_DEBUG === 'true' || undefined,
      feedbackSecret: env.HH_FEEDBACK_SECRET || undefined,
    })
    relays.set(env, relay)
  }
  return relay
}

/**
 * The relay Worker (wrangler.toml `main`): `createRelay` configured from the env, delivering in `waitUntil`,
 * or, with a Queues binding (`--env queues`), queueing what it accepts and delivering it from `queue`.
 */
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
  // The consumer of hh-events (and, to replay it, of its dead-letter queue): see wrangler.toml [env.queues].
  async queue(batch: QueueBatch, env: RelayEnv): Promise<void> {
    // A misconfigured relay throws here: the batch is retried, nothing is lost while it is fixed.
    await relayFor(env).consume(batch)
  },
}
