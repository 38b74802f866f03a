import { serve } from '../../src/node.js'
import { createFakeHoneyHive, type Fault } from '../../src/testing.js'

/** The key the Workers under test hold; the fake HoneyHive refuses any other. */
export const workersKey = 'hh-workers-test-key-5b1c'
/** The page origin the relay under test allows. */
export const workersOrigin = 'https://chat.example.com'

/**
 * Node side of the workers and Deno suites: a fake HoneyHive on loopback, plus a fake model endpoint and a
 * small control API (`/__received`, `/__fail`) so tests running in another runtime can script and inspect it.
 */
export async function startUpstream(apiKey = workersKey) {
  const honeyhive = createFakeHoneyHive({ apiKey })
  const server = await serve(async (request) => {
    const { pathname } = new URL(request.url)
    if (pathname === '/__received') return Response.json({ events: honeyhive.events, requests: honeyhive.requests })
    if (pathname === '/__fail') {
      honeyhive.fail(...((await request.json()) as Fault[]))
      return new Response(null, { status: 204 })
    }
    if (pathname === '/v1/chat/completions') {
      const { messages } = (await request.json()) as { messages: Array<{ content: string }> }
      const content = `echo: ${messages.at(-1)?.content}`
      return Response.json({
        choices: [{ message: { role: 'assistant', content } }],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      })
    }
    return honeyhive(request)
  })
  return { ...server, honeyhive }
}
