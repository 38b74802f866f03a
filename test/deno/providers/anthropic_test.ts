// Runs in Deno against the built entries (dist/anthropic.js, dist/honeyhive-edge.min.js) and the real
// @anthropic-ai/sdk from node_modules, talking to the loopback fake provider and fake HoneyHive that
// test/deno/providers.test.ts started and scripted in Node (HH_TEST_URL, PROVIDER_URL, HH_TEST_SESSION).
import Anthropic from '@anthropic-ai/sdk'
// @ts-types="../../../dist/anthropic.d.ts"
import { trackAnthropic } from '../../../dist/anthropic.js'
// @ts-types="../../../dist/index.d.ts"
import { createClient } from '../../../dist/honeyhive-edge.min.js'

const hh = createClient({
  baseUrl: Deno.env.get('HH_TEST_URL')!,
  sessionId: Deno.env.get('HH_TEST_SESSION')!,
  project: 'deno-providers',
})
const anthropic = new Anthropic({
  apiKey: 'sk-ant-test-not-a-key',
  baseURL: Deno.env.get('PROVIDER_URL')!,
  maxRetries: 0,
})
const ask = (model: string) => ({ model, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Hi' }] })

function assert(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(what)
}

Deno.test('messages.stream() through trackAnthropic keeps its events and finalMessage()', async () => {
  const params = ask('claude-deno-helper')
  const stream = await trackAnthropic(hh, params, anthropic.messages.stream(params))
  const texts: string[] = []
  stream.on('text', (text) => texts.push(text))
  const message = await stream.finalMessage()
  assert(texts.join('') === 'Hello from Deno', `texts: ${JSON.stringify(texts)}`)
  assert(message.stop_reason === 'end_turn', `stop_reason: ${message.stop_reason}`)
  await hh.flush()
})

Deno.test('a raw stream left with break is logged as cancelled', async () => {
  const params = { ...ask('claude-deno-stopped'), stream: true as const }
  let text = ''
  for await (const event of await trackAnthropic(hh, params, anthropic.messages.create(params))) {
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text
    if (text === 'One two ') break
  }
  assert(text === 'One two ', `text: ${text}`)
  // The break settles the call at once; shutdown delivers it and stops the client's timers.
  await hh.shutdown()
})
