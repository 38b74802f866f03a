// Serves the chat page, the built files and, on the same loopback origin, what the page talks to:
// - /v1/chat/completions: the offline model, or with OPENAI_API_KEY a pass-through to OpenAI (or any
//   OPENAI_BASE_URL) that adds the key here, on the server: the page never holds it;
// - /api/turn: a new turn's event id and its feedback token, minted here (createFeedbackToken);
// - /events/model/batch: the relay (v1 upstream, so each turn arrives as a tree), which takes the page's
//   batches and its feedback (with a token) and forwards them with its key to HoneyHive (HH_API_KEY), to a
//   running `honeyhive-edge dev` (HH_DEV_URL, probed at start), or to the embedded fake HoneyHive.
// Run `npm run build`, then `node examples/browser-chat/serve.mjs` and open the printed URL.
import { readFile } from 'node:fs/promises'
import { extname, normalize } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { serve } from '../../dist/node.js'
import { createFeedbackToken, createRelay } from '../../dist/relay.js'
import { createFakeHoneyHive } from '../../dist/testing.js'
import { offlineChatCompletions } from '../offline-model.js'

const here = (path) => new URL(path, import.meta.url)
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript' }
// URL prefix → folder; only .js / .mjs files are served from the folders.
const folders = { '/honeyhive-edge/': here('../../dist/'), '/vendor/openai/': here('../../node_modules/openai/') }
const pages = {
  '/': here('./index.html'),
  '/chat.js': here('./chat.js'),
  '/honeyhive-edge.min.js': here('../../dist/honeyhive-edge.min.js'),
}
/** Where `honeyhive-edge dev` listens by default; the example serves on another port. */
export const devUrlDefault = 'http://127.0.0.1:8787'
const portDefault = 8788
// The inspector takes any key unless started with --key (then set HH_API_KEY and HH_BASE_URL to it instead).
const devKey = 'honeyhive-edge-dev'

function fileFor(pathname) {
  if (pages[pathname]) return pages[pathname]
  const prefix = Object.keys(folders).find((start) => pathname.startsWith(start))
  const rest = prefix && normalize(decodeURIComponent(pathname.slice(prefix.length)))
  if (!rest || rest.startsWith('..') || !/\.m?js$/.test(rest)) return undefined
  return new URL(rest, folders[prefix])
}

/** Forwards a chat completion request to the real API with the key added here; the answer streams back. */
async function passThrough(request, { apiKey, baseUrl }) {
  const answer = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: await request.text(),
  })
  const type = answer.headers.get('content-type') ?? 'application/json'
  return new Response(answer.body, { status: answer.status, headers: { 'content-type': type } })
}

/** Whether `honeyhive-edge dev` answers at `url` (a GET of its `/api/state`, given 500 ms). */
export async function probeInspector(url) {
  try {
    const answer = await fetch(new URL('/api/state', url), { signal: AbortSignal.timeout(500) })
    const state = answer.ok && (await answer.json())
    return Array.isArray(state?.sessions)
  } catch {
    return false
  }
}

/**
 * Starts the example server; resolves its URL, where events go (`sink`), the embedded fake HoneyHive (what it
 * received, when it is the upstream) and close(). Options default to the environment: OPENAI_API_KEY,
 * OPENAI_BASE_URL, HH_API_KEY, HH_BASE_URL, HH_FEEDBACK_SECRET. `devUrl`: a `honeyhive-edge dev` to log into
 * (used when no HoneyHive key is set and it answers; the command line probes HH_DEV_URL, default port 8787).
 * `honeyhive`: the embedded upstream's fetch handler (default: a new fake HoneyHive). `onRelayRequest` sees a
 * copy of each request the page makes to the relay (batches, beacons, feedback), `onRelayError` its failures.
 */
export async function startExample({
  port = 0,
  onBatch = () => {},
  onRelayError,
  onRelayRequest = () => {},
  openai = { apiKey: process.env.OPENAI_API_KEY, baseUrl: process.env.OPENAI_BASE_URL },
  honeyhiveKey = process.env.HH_API_KEY,
  devUrl,
  honeyhive = createFakeHoneyHive(),
  feedbackSecret = process.env.HH_FEEDBACK_SECRET || randomSecret(),
} = {}) {
  const dev = !honeyhiveKey && devUrl && (await probeInspector(devUrl)) ? devUrl.replace(/\/+$/, '') : undefined
  const sink = honeyhiveKey ? 'honeyhive' : dev ? 'dev' : 'embedded'
  // Deliveries the relay runs after answering (Workers' waitUntil); an update HoneyHive has not stored yet is
  // retried for up to a minute, which no page should wait for.
  const pending = new Set()
  const waitUntil = (promise) => {
    pending.add(promise)
    void promise.finally(() => pending.delete(promise))
  }
  let relay
  const server = await serve(
    async (request) => {
      const { pathname } = new URL(request.url)
      if (pathname === '/v1/chat/completions') {
        if (!openai.apiKey) return offlineChatCompletions(request)
        return passThrough(request, { apiKey: openai.apiKey, baseUrl: openai.baseUrl || 'https://api.openai.com/v1' })
      }
      if (pathname === '/api/turn' && request.method === 'POST') {
        // The server picks the turn's event id, so a token only ever covers an event this server handed out.
        const eventId = crypto.randomUUID()
        const token = await createFeedbackToken({ secret: feedbackSecret, eventId })
        return Response.json({ eventId, token }, { headers: { 'cache-control': 'no-store' } })
      }
      if (pathname.startsWith('/events/')) {
        onRelayRequest(request.clone())
        return relay(request, { waitUntil })
      }
      const file = fileFor(pathname)
      const body = file && (await readFile(fileURLToPath(file)).catch(() => undefined))
      if (!body) return new Response('Not found', { status: 404 })
      const type = types[extname(file.pathname)] ?? 'text/plain'
      return new Response(body, { headers: { 'content-type': type, 'cache-control': 'no-store' } })
    },
    { port },
  )
  // The embedded fake is called in process; what it stored is printed as it arrives.
  const embedded = async (input, init) => {
    const response = await honeyhive(new Request(input, init))
    const last = honeyhive.requests?.at(-1)
    if (last && last.method !== 'OPTIONS') onBatch(last)
    return response
  }
  relay = createRelay({
    apiKey: honeyhiveKey || devKey,
    baseUrl: honeyhiveKey ? process.env.HH_BASE_URL || undefined : (dev ?? 'http://honeyhive.embedded'),
    route: '/v1/events/batch',
    allowedOrigins: [server.url],
    feedbackSecret,
    ...(sink === 'embedded' && { fetch: embedded }),
    ...(onRelayError && { onError: onRelayError }),
  })
  return { url: `${server.url}/`, sink, devUrl: dev, honeyhive, close: server.close }
}

/** A feedback secret for this run only: tokens minted before a restart stop working, which a demo can afford. */
function randomSecret() {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
}

/** Serves on `port`, or on a free one when it is taken (said in one line). */
async function startOnPort(options, port) {
  try {
    return await startExample({ ...options, port })
  } catch (error) {
    if (error?.code !== 'EADDRINUSE') throw error
    console.log(`port ${port} is in use: serving on a free port instead (PORT= to choose one)`)
    return startExample({ ...options, port: 0 })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, sink, devUrl } = await startOnPort(
    {
      devUrl: process.env.HH_DEV_URL ?? devUrlDefault,
      onBatch: (request) => {
        const events = `${request.body?.events?.length ?? 0} events`
        const what = request.method === 'PUT' ? `update of ${request.path.split('/').pop()}` : events
        console.log(`${request.status} ${request.method} ${what}`)
      },
    },
    Number(process.env.PORT ?? portDefault),
  )
  const model = process.env.OPENAI_API_KEY ? 'OpenAI through this server' : 'the offline model'
  const sinks = {
    honeyhive: 'HoneyHive through the relay',
    dev: `honeyhive-edge dev at ${devUrl} (open it to see each turn as a tree)`,
    embedded: 'the embedded fake HoneyHive (run `npx honeyhive-edge dev` first to see them in the inspector)',
  }
  console.log(`browser chat on ${url}: replies from ${model}, events to ${sinks[sink]}; Ctrl-C to stop`)
}
