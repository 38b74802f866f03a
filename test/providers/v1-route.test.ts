import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { expect, test } from 'vitest'
import { createClient } from '../../src/index.js'
import { serve } from '../../src/node.js'
import { trackAnthropic } from '../../src/providers/anthropic.js'
import { trackOpenAI } from '../../src/providers/openai.js'
import { createFakeHoneyHive } from '../../src/testing.js'
import { createFakeProvider } from '../helpers/fake-provider.js'

// Issue 11 with issue 10: what the integrations log, sent on HoneyHive's current route, lands where
// HoneyHive renders chat and rolls up tokens (inputs.chat_history, outputs.role, metadata.*_tokens).

test('an OpenAI stream and an Anthropic message logged on /v1/events/batch render as chat with their token counts', async () => {
  const provider = createFakeProvider()
  const server = await serve(provider)
  const honeyhive = createFakeHoneyHive({ apiKey: 'hh-v1-providers' })
  const hh = createClient({
    apiKey: 'hh-v1-providers',
    route: '/v1/events/batch',
    baseUrl: 'http://127.0.0.1:9',
    fetch: (input, init) => honeyhive(new Request(input, init)),
    flushIntervalMs: 60_000,
  })
  try {
    provider.script('gpt-v1', { text: ['Hel', 'lo'], usage: { input: 12, output: 2 } })
    provider.script('claude-v1', { text: ['Bonjour'], usage: { input: 9, output: 3 } })
    const openai = new OpenAI({ apiKey: 'sk-test-not-a-key', baseURL: `${server.url}/v1`, maxRetries: 0 })
    const anthropic = new Anthropic({ apiKey: 'sk-ant-test-not-a-key', baseURL: server.url, maxRetries: 0 })
    const chat = {
      model: 'gpt-v1',
      messages: [{ role: 'user' as const, content: 'Hi' }],
      stream: true as const,
      stream_options: { include_usage: true },
    }
    const stream = await trackOpenAI(hh, chat, openai.chat.completions.create(chat))
    for await (const _chunk of stream);
    const message = {
      model: 'claude-v1',
      max_tokens: 64,
      system: 'Be brief.',
      messages: [{ role: 'user' as const, content: 'Salut' }],
    }
    await trackAnthropic(hh, message, anthropic.messages.create(message))
    await hh.flush()
    const [fromOpenAI, fromAnthropic] = honeyhive.events
    expect(fromOpenAI).toMatchObject({
      event_type: 'model',
      event_name: 'openai.chat',
      config: { model: 'gpt-v1', provider: 'openai' },
      inputs: { chat_history: [{ role: 'user', content: 'Hi' }] },
      outputs: { role: 'assistant', content: 'Hello' },
      metadata: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14, status: 'success', stream: true },
    })
    expect(typeof fromOpenAI.metadata!.time_to_first_token_ms).toBe('number')
    expect(fromAnthropic).toMatchObject({
      event_name: 'anthropic.messages',
      config: { model: 'claude-v1', provider: 'anthropic', max_tokens: 64 },
      inputs: {
        chat_history: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Salut' },
        ],
      },
      outputs: { role: 'assistant', content: 'Bonjour' },
      metadata: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, status: 'success' },
    })
    for (const event of honeyhive.events)
      for (const seedOnly of ['model', 'messages', 'response', 'usage', 'provider', 'project'])
        expect(event).not.toHaveProperty(seedOnly)
  } finally {
    await hh.shutdown({ timeoutMs: 0 })
    await server.close()
  }
})
