import { describe, expect, test } from 'vitest'
import { createClient, DroppedError, type ClientOptions, type HoneyHiveError } from '../src/index.js'
import { posts, startFakeHoneyHive } from './helpers/fake-server.js'

type Stored = Record<string, unknown> & {
  event_id: string
  event_type: string
  parent_id?: string
  children_ids?: string[]
}

/** A client on a loopback fake HoneyHive that collects what reaches onError. */
async function setup(options: ClientOptions = {}) {
  const { honeyhive, baseUrl } = await startFakeHoneyHive()
  const errors: HoneyHiveError[] = []
  const hh = createClient({ baseUrl, flushIntervalMs: 60_000, onError: (error) => errors.push(error), ...options })
  const byName = (name: string) => (honeyhive.events as Stored[]).find((event) => event.event_name === name)!
  return { honeyhive, hh, errors, byName }
}
const v1 = { route: '/v1/events/batch', apiKey: 'hh-traces-test-key', dangerouslyAllowBrowser: true } as const

describe('traces: a chat turn as a tree', () => {
  test('a manual tree on the v1 route arrives with its parents, children and a failing tool, valid against v1', async () => {
    const { honeyhive, hh, errors, byName } = await setup(v1)
    const turn = hh.startChain({
      event_name: 'chat turn',
      inputs: { chat_history: [{ role: 'user', content: 'Weather in Paris?' }] },
    })
    const weather = await turn.tool('get_weather', { city: 'Paris' }, async ({ city }) => ({ city, celsius: 21 }))
    await expect(
      turn.tool('get_time', { city: 'Paris' }, () => Promise.reject(new Error('clock service down'))),
    ).rejects.toThrow('clock service down')
    const search = turn.startTool({ event_name: 'search', inputs: { q: 'paris' } })
    search.end({ outputs: { hits: 3 } })
    const model = turn.startModelEvent({
      model: 'gpt-4o',
      provider: 'openai',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    })
    model.end({ response: { role: 'assistant', content: 'Sunny, 21 °C' } })
    turn.end({ outputs: { content: 'Sunny, 21 °C' } })
    expect(weather).toEqual({ city: 'Paris', celsius: 21 })
    await hh.flush()

    expect(errors).toEqual([])
    expect(posts(honeyhive).every((request) => request.status === 200)).toBe(true)
    const chain = byName('chat turn')
    expect(chain).toMatchObject({ event_type: 'chain', session_id: hh.sessionId, outputs: { content: 'Sunny, 21 °C' } })
    expect(chain.parent_id).toBeUndefined()
    const children = ['get_weather', 'get_time', 'search'].map(byName)
    const llm = (honeyhive.events as Stored[]).find((event) => event.event_type === 'model')!
    expect(chain.children_ids).toEqual([...children, llm].map((event) => event.event_id))
    for (const child of [...children, llm]) {
      expect(child.parent_id).toBe(chain.event_id)
      expect(child.start_time as number).toBeGreaterThanOrEqual(chain.start_time as number)
      expect(child.end_time as number).toBeLessThanOrEqual(chain.end_time as number)
    }
    expect(children.map((event) => event.event_type)).toEqual(['tool', 'tool', 'tool'])
    expect(byName('get_weather')).toMatchObject({ inputs: { city: 'Paris' }, outputs: { city: 'Paris', celsius: 21 } })
    expect(byName('get_time')).toMatchObject({ inputs: { city: 'Paris' }, error: 'clock service down' })
    expect(llm).toMatchObject({ config: { model: 'gpt-4o' }, outputs: { role: 'assistant', content: 'Sunny, 21 °C' } })
  })

  test('tool() resolves and rejects exactly as run does, a synchronous throw included, and wraps values that are not objects', async () => {
    const { hh, byName } = await setup(v1)
    const turn = hh.startChain({ event_name: 'turn' })
    const boom = new TypeError('bad input')
    expect(await turn.tool('add', [1, 2], ([a, b]) => a + b)).toBe(3)
    await expect(
      turn.tool('sync-throw', {}, () => {
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(await turn.tool('nothing', { x: 1 }, () => undefined)).toBeUndefined()
    turn.end()
    await hh.flush()
    expect(byName('add')).toMatchObject({ event_type: 'tool', inputs: { args: [1, 2] }, outputs: { result: 3 } })
    expect(byName('sync-throw')).toMatchObject({ event_type: 'tool', error: 'bad input' })
    expect(byName('nothing').outputs).toBeUndefined()
  })

  test('spans nest: a chain inside a chain, and the client starts tools and chains under the session', async () => {
    const { hh, byName } = await setup(v1)
    const run = hh.startChain({ event_name: 'agent run' })
    const step = run.startChain({ event_name: 'step 1' })
    step.startTool({ event_name: 'lookup' }).end({ outputs: { found: true } })
    step.end()
    run.end()
    hh.startTool({ event_name: 'standalone' }).end()
    await hh.flush()
    expect(byName('step 1').parent_id).toBe(byName('agent run').event_id)
    expect(byName('lookup').parent_id).toBe(byName('step 1').event_id)
    expect(byName('standalone')).toMatchObject({ event_type: 'tool', session_id: hh.sessionId })
    expect(byName('standalone').parent_id).toBeUndefined()
  })

  test('on the seed route with a key, chain and tool events are reported once and model events still go, under the session', async () => {
    const { honeyhive, hh, errors } = await setup({ apiKey: 'hh-seed-key', dangerouslyAllowBrowser: true })
    const turn = hh.startChain({ event_name: 'turn' })
    await turn.tool('get_weather', { city: 'Paris' }, () => 'sunny')
    const model = turn.startModelEvent({ model: 'gpt-4o' })
    model.end({ response: 'ok' })
    turn.end()
    hh.log({ event_type: 'tool', event_name: 'logged tool' })
    const result = await hh.flush()

    expect(honeyhive.events).toHaveLength(1)
    expect(honeyhive.events[0]).toMatchObject({ event_type: 'model', model: 'gpt-4o', session_id: hh.sessionId })
    expect(honeyhive.events[0].parent_id).toBeUndefined()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(DroppedError)
    expect(errors[0]).toMatchObject({ reason: 'route' })
    expect(errors[0].message).toContain("route: '/v1/events/batch'")
    expect(result.sent).toBe(1)
    expect(hh.stats().dropped).toBe(3)
  })

  test('a keyless client (a page posting to a relay) sends chains and tools in the seed shape, for the relay to route', async () => {
    const { honeyhive, hh, errors } = await setup()
    const turn = hh.startChain({ event_name: 'turn' })
    turn.startTool({ event_name: 'lookup' }).end()
    turn.end()
    await hh.flush()
    expect(errors).toEqual([])
    const body = posts(honeyhive)[0].body as { model_events: Stored[] }
    expect(body.model_events.map((event) => event.event_type)).toEqual(['tool', 'chain'])
    expect(body.model_events[0].parent_id).toBe(body.model_events[1].event_id)
  })
})
