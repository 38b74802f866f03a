// The relay under Deno.serve, from the built dist/relay.js (ky and valibot mapped by ./deno.json to the
// installed copies; users import `npm:honeyhive-edge/relay`), forwarding to the loopback fake HoneyHive.
// @ts-types="../../dist/relay.d.ts"
import { createRelay } from '../../dist/relay.js'

const baseUrl = Deno.env.get('HH_TEST_URL')!
const apiKey = Deno.env.get('HH_TEST_KEY')!
const sessionId = Deno.env.get('HH_TEST_SESSION')!
const origin = 'https://chat.example.com'

Deno.test('Deno.serve(relay) forwards a text/plain beacon with the key, and refuses other origins', async () => {
  const relay = createRelay({ apiKey, baseUrl, allowedOrigins: [origin] })
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, relay)
  try {
    const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/events/model/batch`
    const id = crypto.randomUUID()
    const body = JSON.stringify({ model_events: [{ event_id: id, session_id: sessionId, model: 'relay-deno' }] })
    const accepted = await fetch(url, { method: 'POST', headers: { origin, 'content-type': 'text/plain;charset=UTF-8' }, body })
    const text = await accepted.text()
    if (accepted.status !== 200 || !text.includes(id) || text.includes(apiKey)) throw new Error(`unexpected answer ${accepted.status} ${text}`)
    const refused = await fetch(url, { method: 'POST', headers: { origin: 'https://evil.example' }, body })
    await refused.body?.cancel()
    if (refused.status !== 403) throw new Error(`another origin got ${refused.status}`)
  } finally {
    await server.shutdown()
  }
})
