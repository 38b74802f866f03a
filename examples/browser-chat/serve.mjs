// Serves the chat page, the built files and, on the same loopback origin, what the page talks to:
// - /v1/chat/completions: the offline model, or with OPENAI_API_KEY a pass-through to OpenAI (or any
//   OPENAI_BASE_URL) that adds the key here, on the server: the page never holds it;
// - /events/model/batch: the fake HoneyHive, or with HH_API_KEY the relay, which holds that key.
// Run `npm run build`, then `node examples/browser-chat/serve.mjs` and open the printed URL.
import { readFile } from 'node:fs/promises'
import { extname, normalize } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { serve } from '../../dist/node.js'
import { createRelay } from '../../dist/relay.js'
import { createFakeHoneyHive } from '../../dist/testing.js'
import { offlineChatCompletions } from '../offline-model.js'

const here = (path) => new URL(path, import.meta.url)
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript' }
// URL prefix → folder; only .js / .mjs files are served from the folders.
const folders = { '/honeyhive-edge/': here('../../dist/'), '/vendor/openai/': here('../../node_modules/openai/') }
const pages = { '/': here('./index.html'), '/chat.js': here('./chat.js'), '/honeyhive-edge.min.js': here('../../dist/honeyhive-edge.min.js') }

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
  return new Response(answer.body, { status: answer.status, headers: { 'content-type': answer.headers.get('content-type') ?? 'application/json' } })
}

/**
 * Starts the example server; resolves its URL, the fake HoneyHive (what it received, when no HoneyHive key
 * is set) and close(). Options default to the environment: OPENAI_API_KEY, OPENAI_BASE_URL, HH_API_KEY, HH_BASE_URL.
 */
export async function startExample({ port = 0, onBatch = () => {}, openai = { apiKey: process.env.OPENAI_API_KEY, baseUrl: process.env.OPENAI_BASE_URL }, honeyhiveKey = process.env.HH_API_KEY } = {}) {
  const honeyhive = createFakeHoneyHive()
  let relay
  const server = await serve(
    async (request) => {
      const { pathname } = new URL(request.url)
      if (pathname === '/v1/chat/completions') {
        return openai.apiKey ? passThrough(request, { apiKey: openai.apiKey, baseUrl: openai.baseUrl || 'https://api.openai.com/v1' }) : offlineChatCompletions(request)
      }
      if (pathname.startsWith('/events/')) {
        if (relay) return relay(request)
        const response = await honeyhive(request)
        const last = honeyhive.requests.at(-1)
        if (last?.method === 'POST') onBatch(last)
        return response
      }
      const file = fileFor(pathname)
      const body = file && (await readFile(fileURLToPath(file)).catch(() => undefined))
      if (!body) return new Response('Not found', { status: 404 })
      return new Response(body, { headers: { 'content-type': types[extname(file.pathname)] ?? 'text/plain', 'cache-control': 'no-store' } })
    },
    { port },
  )
  if (honeyhiveKey) relay = createRelay({ apiKey: honeyhiveKey, baseUrl: process.env.HH_BASE_URL || undefined, allowedOrigins: [server.url] })
  return { url: `${server.url}/`, honeyhive, close: server.close }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await startExample({
    port: Number(process.env.PORT ?? 8787),
    onBatch: (request) => console.log(`${request.status} ${request.body?.model_events?.length ?? 0} events (${request.headers['content-type']})`),
  })
  const model = process.env.OPENAI_API_KEY ? 'OpenAI through this server' : 'the offline model'
  const sink = process.env.HH_API_KEY ? 'HoneyHive through the relay' : 'the fake HoneyHive'
  console.log(`browser chat on ${url}: replies from ${model}, events to ${sink}; Ctrl-C to stop`)
}
