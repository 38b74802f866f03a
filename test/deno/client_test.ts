// Runs in Deno against the built, self-contained bundle, talking to a loopback fake HoneyHive that
// test/deno/deno.test.ts started in Node (HH_TEST_URL, HH_TEST_KEY, HH_TEST_SESSION).
// @ts-types="../../dist/index.d.ts"
import { createClient, HttpError, ValidationError, type HoneyHiveError } from '../../dist/honeyhive-edge.min.js'

const baseUrl = Deno.env.get('HH_TEST_URL')!
const apiKey = Deno.env.get('HH_TEST_KEY')!
const sessionId = Deno.env.get('HH_TEST_SESSION')!

// No jsr:@std/assert: the suite must run offline.
function assertEquals(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
  }
}

interface Received {
  events: Array<{ event_id: string; session_id?: string; project?: string; source?: string; model?: string }>
  requests: Array<{ method: string; status: number; body: { model_events?: Array<{ event_id: string }> } }>
}
const received = async (): Promise<Received> => (await fetch(`${baseUrl}/__received`)).json()
const script = async (...faults: object[]) => {
  const response = await fetch(`${baseUrl}/__fail`, { method: 'POST', body: JSON.stringify(faults) })
  await response.body?.cancel()
}
const statusesFor = async (id: string) =>
  (await received()).requests.filter((r) => r.method === 'POST' && r.body.model_events?.some((e) => e.event_id === id)).map((r) => r.status)

Deno.test('log and flush deliver a batch with ids, project, source and session', async () => {
  const hh = createClient({ apiKey, baseUrl, project: 'deno-suite', source: 'test', sessionId })
  const ids = [hh.log({ model: 'gpt-4o' }), hh.log({ model: 'gpt-4o-mini' }), hh.log({ model: 'o3' })]
  assertEquals(await hh.flush(), { sent: 3, failed: 0, dropped: 0, queued: 0 }, 'flush result')
  const stored = (await received()).events.filter((event) => ids.includes(event.event_id))
  assertEquals(stored.map((e) => [e.model, e.project, e.source, e.session_id]), [
    ['gpt-4o', 'deno-suite', 'test', sessionId],
    ['gpt-4o-mini', 'deno-suite', 'test', sessionId],
    ['o3', 'deno-suite', 'test', sessionId],
  ], 'stored events')
  await hh.shutdown()
})

Deno.test('a scripted 500 and a 429 with Retry-After are retried, and the events arrive once', async () => {
  await script({ status: 500 }, { status: 429, retryAfter: 1 })
  const hh = createClient({ apiKey, baseUrl, sessionId })
  const id = hh.log({ model: 'gpt-4o', provider: 'openai' })
  const started = Date.now()
  assertEquals(await hh.flush(), { sent: 1, failed: 0, dropped: 0, queued: 0 }, 'flush result')
  if (Date.now() - started < 900) throw new Error('the 429 Retry-After of 1 s was not honoured')
  assertEquals(await statusesFor(id), [500, 429, 200], 'attempts')
  assertEquals(hh.stats().retried, 2, 'retried')
  assertEquals((await received()).events.filter((event) => event.event_id === id).length, 1, 'copies stored')
  await hh.shutdown()
})

Deno.test('a refused batch reaches onError as an HttpError and an invalid event as a ValidationError', async () => {
  await script({ status: 400, body: { message: 'scripted refusal' } })
  const errors: HoneyHiveError[] = []
  const hh = createClient({ apiKey, baseUrl, sessionId, onError: (error) => errors.push(error) })
  hh.log({ model: 'gpt-4o', start_time: '2024-01-01' as unknown as number })
  const id = hh.log({ model: 'gpt-4o' })
  assertEquals(await hh.flush(), { sent: 0, failed: 1, dropped: 0, queued: 0 }, 'flush result')
  assertEquals(errors.map((e) => [e.name, e instanceof ValidationError || e instanceof HttpError]), [['ValidationError', true], ['HttpError', true]], 'errors')
  assertEquals((errors[1] as HttpError).status, 400, 'status')
  assertEquals((errors[1] as HttpError).eventIds, [id], 'event ids of the refused batch')
  await hh.shutdown()
})
