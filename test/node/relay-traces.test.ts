import { describe, expect, test } from 'vitest'
import { createClient, type HoneyHiveError } from '../../src/index.js'
import { createRelay, type Route } from '../../src/relay.js'
import { startFakeHoneyHive } from '../helpers/fake-server.js'

// A page's tree (chain, tool and model events, issue 18) through the relay: intact to a v1 upstream; to the
// seed's route, which carries model events only, the model events alone, under the session, with one report.

const key = 'hh-relay-traces-key-5e2b'
const app = 'https://app.example.com'

async function setup(route: Route) {
  const upstream = await startFakeHoneyHive({ apiKey: key })
  const errors: HoneyHiveError[] = []
  const relay = createRelay({
    apiKey: key,
    baseUrl: upstream.baseUrl,
    allowedOrigins: [app],
    route,
    onError: (error) => errors.push(error),
  })
  // A page: no key, posting through the relay.
  const page = createClient({
    baseUrl: 'https://relay.example.com',
    onError: (error) => errors.push(error),
    fetch: async (input, init) => {
      const request = new Request(input, init)
      return relay(new Request(request, { headers: { ...Object.fromEntries(request.headers), origin: app } }))
    },
  })
  return { ...upstream, page, errors }
}

/** One chat turn: a chain with a tool call and a model call under it. */
async function logTurn(page: ReturnType<typeof createClient>) {
  const turn = page.startChain({ event_name: 'chat turn', inputs: { question: 'Weather in Paris?' } })
  await turn.tool('get_weather', { city: 'Paris' }, async () => ({ celsius: 18 }))
  turn
    .startModelEvent({ model: 'gpt-4o', provider: 'openai' })
    .end({ response: { role: 'assistant', content: '18 °C' } })
  turn.end({ outputs: { content: '18 °C' } })
  expect(await page.flush()).toMatchObject({ sent: 3, failed: 0, dropped: 0 })
  return turn.event_id
}

describe('a page’s tree through the relay', () => {
  test('to a v1 upstream the chain, tool and model events arrive intact, children under the chain', async () => {
    const { page, honeyhive, errors } = await setup('/v1/events/batch')
    const chain = await logTurn(page)
    const stored = honeyhive.events as Array<Record<string, unknown>>
    const byType = Object.fromEntries(stored.map((event) => [event.event_type, event]))
    expect(Object.keys(byType).sort()).toEqual(['chain', 'model', 'tool'])
    expect(byType.chain.event_id).toBe(chain)
    expect([byType.tool.parent_id, byType.model.parent_id]).toEqual([chain, chain])
    expect(byType.chain.children_ids).toEqual(expect.arrayContaining([byType.tool.event_id, byType.model.event_id]))
    expect(byType.tool.outputs).toBeDefined()
    expect(errors).toEqual([])
  })

  test("to the seed's route only the model event goes, under the session, and onError gets one clear error", async () => {
    const { page, honeyhive, errors } = await setup('/events/model/batch')
    await logTurn(page)
    expect(honeyhive.events.map((event) => event.event_type ?? 'model')).toEqual(['model'])
    expect(honeyhive.events[0].parent_id).toBeUndefined()
    expect(honeyhive.events[0].session_id).toBe(page.sessionId)
    expect(errors.map((error) => [error.name, (error as { reason?: string }).reason, error.eventIds.length])).toEqual([
      ['DroppedError', 'route', 2],
    ])
    expect(errors[0].message).toMatch(/chain and tool events need route: '\/v1\/events\/batch'/)
  })

  test("to the seed's route a model event keeps a parent_id that was not a dropped chain or tool", async () => {
    const { honeyhive, errors, baseUrl } = await setup('/events/model/batch')
    const relay = createRelay({ apiKey: key, baseUrl, allowedOrigins: [app], onError: (error) => errors.push(error) })
    const parent = crypto.randomUUID()
    const body = { model_events: [{ event_type: 'model', parent_id: parent, model: 'm' }] }
    const response = await relay(
      new Request('https://relay.example.com/', {
        method: 'POST',
        headers: { origin: app },
        body: JSON.stringify(body),
      }),
    )
    expect(response.status).toBe(200)
    expect(honeyhive.events.map((event) => event.parent_id)).toEqual([parent])
    expect(errors).toEqual([])
  })
})
