// One phase of one contender, run inside a fresh child process by bench/run.mjs.
// Phases: `cpu` (CPU of a tight loop of log()-equivalent calls, no awaiting), `e2e` (log every event in
// bursts that yield to the event loop, flush, wait until the server counted them all), `outage` (log to
// a port with nothing listening, default queue limits, and measure RSS growth).
import { setImmediate as tick } from 'node:timers/promises'
import { createChatEvent } from './events.mjs'

const gc = () => globalThis.gc?.()

/** Each contender: `create(baseUrl, phase, config)` returns { log(event), flush(), queued() }. */
const factories = {
  async bare() {
    const { modelEventSchema } = await import('../dist/index.js')
    const { safeParse } = await import('valibot')
    const queue = []
    return () => ({
      // The bare work of a validating queue: one push, one JSON.stringify, one valibot safeParse.
      log(event) {
        queue.push(event)
        JSON.stringify(event)
        safeParse(modelEventSchema, event)
      },
      flush: async () => {},
      queued: () => queue.length,
    })
  },

  async kept() {
    const { modelEventSchema } = await import('../dist/index.js')
    const { safeParse } = await import('valibot')
    const queue = []
    return () => ({
      // The bare work plus what any queue that snapshots an event at log() must do: keep its JSON. A client
      // cannot keep the caller's object instead: a `messages` array pushed to after log() would change what
      // is sent. Keeping ~1 KiB per call costs memory the process has not touched yet (bench/README.md).
      log(event) {
        queue.push(JSON.stringify(event))
        safeParse(modelEventSchema, event)
      },
      flush: async () => {
        queue.length = 0
      },
      queued: () => queue.length,
    })
  },

  async naive() {
    // An array flushed in batches of 20 with fetch + JSON.stringify, one request in flight, no
    // validation, unbounded queue: the floor a real client is compared to.
    return (baseUrl) => {
      const queue = []
      let sending
      const url = `${baseUrl}/events/model/batch`
      async function drain() {
        while (queue.length > 0) {
          const batch = queue.splice(0, 20)
          try {
            const response = await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
              body: JSON.stringify({ model_events: batch }),
            })
            await response.text()
          } catch {
            queue.unshift(...batch)
            return
          }
        }
      }
      const start = () => {
        sending ??= drain().finally(() => (sending = undefined))
        return sending
      }
      return {
        log(event) {
          queue.push({ ...event, event_id: crypto.randomUUID() })
          if (queue.length >= 20) start()
        },
        async flush() {
          while (sending) await sending
          await start()
        },
        queued: () => queue.length,
      }
    }
  },

  async 'honeyhive-edge'() {
    const { createClient } = await import('../dist/index.js')
    return (baseUrl, phase, config) => {
      const client = createClient({
        apiKey: 'bench',
        baseUrl,
        project: 'bench',
        flushAt: 20,
        // The outage phase keeps the default maxQueueSize (1000); elsewhere the queue holds every event,
        // so nothing is dropped and every contender delivers the same events.
        ...(phase === 'outage' ? {} : { maxQueueSize: Math.max(config.events, config.cpuCalls) }),
      })
      return { log: (event) => client.log(event), flush: () => client.flush(), queued: () => client.stats().queued }
    }
  },

  async 'posthog-js-lite'() {
    const { PostHog } = await import('posthog-js-lite')
    return (baseUrl, phase, config) => {
      const posthog = new PostHog('phc_bench', {
        host: baseUrl,
        flushAt: 20,
        // Memory persistence, no feature-flag or remote-config calls, no gzip (the server reads JSON).
        persistence: 'memory',
        preloadFeatureFlags: false,
        disableCompression: true,
        ...(phase === 'outage' ? {} : { maxQueueSize: config.events }),
      })
      return {
        log: (event) => posthog.capture('model_event', event),
        flush: () => posthog.flush().catch(() => {}),
        queued: () => (posthog.getPersistedProperty('queue') ?? []).length,
      }
    }
  },

  async langfuse() {
    const { Langfuse } = await import('langfuse')
    return (baseUrl) => {
      // Langfuse v3 has no queue limit; flushAt 20 like the others (its default is 15).
      const langfuse = new Langfuse({ publicKey: 'pk-lf-bench', secretKey: 'sk-lf-bench', baseUrl, flushAt: 20 })
      const traceId = crypto.randomUUID()
      let queue = () => (langfuse.getPersistedProperty('queue') ?? []).length
      return {
        log: (event) =>
          langfuse.generation({
            traceId,
            name: 'chat',
            model: event.model,
            input: event.messages,
            output: event.response,
            usage: event.usage,
            metadata: event.metadata,
          }),
        // flushAsync sends one batch of flushAt; call it until nothing is left.
        async flush() {
          do await langfuse.flushAsync()
          while (queue() > 0)
        },
        queued: () => queue() + Object.keys(langfuse.pendingIngestionPromises ?? {}).length * 20,
      }
    }
  },
}

async function counted(baseUrl) {
  const response = await fetch(baseUrl + '/_count')
  return response.json()
}

/**
 * CPU to touch memory this process never used, per 4 KiB page, against touching it again: what keeping
 * data costs on this machine before any code runs (a virtual machine can charge much more per fresh page).
 */
function touchCost() {
  const pages = 16_384
  const bytes = new Uint8Array(pages * 4096)
  const pass = () => {
    const before = process.cpuUsage()
    for (let i = 0; i < bytes.length; i += 4096) bytes[i]++
    const used = process.cpuUsage(before)
    return (used.user + used.system) / pages
  }
  return { firstUsPerPage: pass(), againUsPerPage: pass() }
}

export async function runPhase(name, phase, baseUrl, config) {
  if (phase === 'touch') return touchCost()
  const create = await factories[name]()
  let peakRss = process.memoryUsage().rss
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss))
  const sampler = setInterval(sample, 20)
  const notes = []
  try {
    if (phase === 'cpu') {
      // A tight loop, no awaiting; time-capped, since some peers' cost per call grows with their queue.
      const contender = create(baseUrl, phase, config)
      const events = Array.from({ length: config.cpuCalls }, (_, i) => createChatEvent(i))
      // Warm-up as long as the timed loop (time-capped), so that each contender's code is measured once the
      // JIT has optimised it: a short warm-up favours the smallest code path, not the cheapest one.
      const warmUntil = performance.now() + config.timeLimitMs / 6
      for (let i = 0; i < config.cpuCalls && (i % 100 !== 0 || performance.now() < warmUntil); i++)
        contender.log(createChatEvent(i))
      await contender.flush()
      // Steady state first: bursts of 20 calls on a drained queue (the flush between them is not timed).
      let burstUs = 0
      for (let b = 0; b < 50; b++) {
        const before = process.cpuUsage()
        for (let i = 0; i < 20; i++) contender.log(events[b * 20 + i])
        const used = process.cpuUsage(before)
        burstUs += used.user + used.system
        await contender.flush()
      }
      await tick()
      gc()
      const deadline = performance.now() + config.timeLimitMs / 6
      const before = process.cpuUsage()
      let calls = 0
      while (calls < events.length && (calls % 100 !== 0 || performance.now() < deadline))
        contender.log(events[calls++])
      const used = process.cpuUsage(before)
      if (calls < events.length) notes.push(`CPU loop stopped at the time cap after ${calls} of ${events.length} calls`)
      return {
        calls,
        cpuUsPerCall: (used.user + used.system) / calls,
        cpuUsPerCallIdle: burstUs / 1000,
        note: notes.join('; ') || undefined,
      }
    }

    if (phase === 'e2e') {
      const contender = create(baseUrl, phase, config)
      gc()
      const started = performance.now()
      const deadline = started + config.timeLimitMs
      const before = process.cpuUsage()
      let logged = 0
      while (logged < config.events && performance.now() < deadline) {
        const end = Math.min(config.events, logged + config.burst)
        while (logged < end) contender.log(createChatEvent(logged++))
        sample()
        await tick()
      }
      let count = await counted(baseUrl)
      if (performance.now() < deadline) {
        await Promise.race([
          contender.flush(),
          new Promise((resolve) => setTimeout(resolve, deadline - performance.now()).unref()),
        ])
      }
      count = await counted(baseUrl)
      while (count.events < logged && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5))
        count = await counted(baseUrl)
      }
      const seconds = (performance.now() - started) / 1000
      const used = process.cpuUsage(before)
      sample()
      if (logged < config.events)
        notes.push(`only ${logged} events logged within the ${config.timeLimitMs / 1000} s cap`)
      if (count.events < config.events)
        notes.push(`${count.events} of ${config.events} delivered within the ${config.timeLimitMs / 1000} s cap`)
      return {
        delivered: count.events,
        requests: count.requests,
        deliveredPerSec: count.events / seconds,
        cpuUsPerEvent: (used.user + used.system) / Math.max(1, logged),
        peakRss,
        note: notes.join('; ') || undefined,
      }
    }

    if (phase === 'outage') {
      const contender = create(baseUrl, phase, config)
      contender.log(createChatEvent(0))
      await tick()
      gc()
      const rssBefore = process.memoryUsage().rss
      const heapBefore = process.memoryUsage().heapUsed
      const deadline = performance.now() + config.timeLimitMs / 2
      let logged = 1
      // RSS is read again after half the events: a queue bounded by its limit stops growing, so the second
      // half adds next to nothing; an unbounded one keeps growing with every event logged.
      let rssHalf
      while (logged < config.outageEvents && performance.now() < deadline) {
        if (rssHalf === undefined && logged >= config.outageEvents / 2) {
          gc()
          rssHalf = process.memoryUsage().rss
        }
        const end = Math.min(config.outageEvents, logged + config.burst)
        while (logged < end) contender.log(createChatEvent(logged++))
        sample()
        await tick()
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
      gc()
      const rssGrowth = process.memoryUsage().rss - rssBefore
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore
      if (logged < config.outageEvents)
        notes.push(`only ${logged} events logged within the ${config.timeLimitMs / 2000} s cap`)
      const rssSecondHalf = rssHalf === undefined ? undefined : process.memoryUsage().rss - rssHalf
      return {
        logged,
        rssGrowth,
        rssSecondHalf,
        heapGrowth,
        queued: contender.queued(),
        peakRss,
        note: notes.join('; ') || undefined,
      }
    }
    throw new Error(`unknown phase ${phase}`)
  } finally {
    clearInterval(sampler)
  }
}
