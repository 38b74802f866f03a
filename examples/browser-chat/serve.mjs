// Serves the chat page, the built bundle and the fake HoneyHive on one loopback origin.
// Run `npm run build`, then `node examples/browser-chat/serve.mjs` and open the printed URL.
import { readFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { serve } from '../../dist/node.js'
import { createFakeHoneyHive } from '../../dist/testing.js'

const files = {
  '/': [new URL('./index.html', import.meta.url), 'text/html; charset=utf-8'],
  '/chat.js': [new URL('./chat.js', import.meta.url), 'text/javascript'],
  '/honeyhive-edge.min.js': [new URL('../../dist/honeyhive-edge.min.js', import.meta.url), 'text/javascript'],
}

/** Starts the example server; resolves its URL, the fake HoneyHive (what it received) and close(). */
export async function startExample({ port = 0, onBatch = () => {} } = {}) {
  const honeyhive = createFakeHoneyHive()
  const server = await serve(
    async (request) => {
      const { pathname } = new URL(request.url)
      if (pathname.startsWith('/events/')) {
        const response = await honeyhive(request)
        const last = honeyhive.requests.at(-1)
        if (last?.method === 'POST') onBatch(last)
        return response
      }
      const file = files[pathname]
      if (!file) return new Response('Not found', { status: 404 })
      return new Response(await readFile(file[0]), { headers: { 'content-type': file[1], 'cache-control': 'no-store' } })
    },
    { port },
  )
  return { url: `${server.url}/`, honeyhive, close: server.close }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await startExample({
    port: Number(process.env.PORT ?? 8787),
    onBatch: (request) =>
      console.log(`${request.status} ${request.body?.model_events?.length ?? 0} events (${request.headers['content-type']})`),
  })
  console.log(`browser chat on ${url} against the fake HoneyHive; Ctrl-C to stop`)
}
