import { describe, expect, test } from 'vitest'
import { createClient, DroppedError, ValidationError, type ClientOptions, type HoneyHiveError } from '../src/index.js'
import { posts, startFakeHoneyHive } from './helpers/fake-server.js'

// Issue 19: hh.feedback() merges into a queued event, or sends HoneyHive's event update through the queue.

const routes = ['/events/model/batch', '/v1/events/batch'] as const
const onRoute = (route: (typeof routes)[number]): ClientOptions => ({
  route,
  apiKey: 'hh-feedback-test-key',
  dangerouslyAllowBrowser: true,
})

async function setup(options: ClientOptions = {}) {
  const { honeyhive, baseUrl } = await startFakeHoneyHive()
  const errors: HoneyHiveError[] = []
  const hh = createClient({ baseUrl, flushIntervalMs: 60_000, onError: (error) => errors.push(error), ...options })
  const updates = () => honeyhive.requests.filter((request) => request.method === 'PUT')
  return { honeyhive, hh, errors, updates }
}

describe.each(routes)('feedback on %s', (route) => {
  test('feedback on an event still queued is merged into it: one request, no update', async () => {
    const { honeyhive, hh, errors, updates } = await setup(onRoute(route))
    const id = hh.log({ model: 'gpt-4o', feedback: { source: 'auto' } })
    hh.feedback(id, { rating: 1, comment: 'spot on' })
    const result = await hh.flush()
    expect(errors).toEqual([])
    expect(result).toMatchObject({ sent: 1, queued: 0 })
    expect(posts(honeyhive)).toHaveLength(1)
    expect(updates()).toHaveLength(0)
    expect(honeyhive.events[0].feedback).toEqual({ source: 'auto', rating: 1, comment: 'spot on' })
  })

  test('feedback on a delivered event is sent as HoneyHive’s event update, and flush() waits for it and counts it', async () => {
    const { honeyhive, hh, errors, updates } = await setup(onRoute(route))
    const id = hh.log({ model: 'gpt-4o' })
    await hh.flush()
    hh.feedback(id, { rating: 0, comment: 'wrong city', ground_truth: 'Paris' })
    const result = await hh.flush()
    expect(errors).toEqual([])
    expect(result).toMatchObject({ sent: 1, failed: 0, queued: 0 })
    expect(updates()).toHaveLength(1)
    const [update] = updates()
    expect(update.path).toBe(route === '/v1/events/batch' ? `/v1/events/${id}` : '/events')
    expect(update.body).toEqual(
      route === '/v1/events/batch'
        ? { feedback: { rating: 0, comment: 'wrong city', ground_truth: 'Paris' } }
        : { event_id: id, feedback: { rating: 0, comment: 'wrong city', ground_truth: 'Paris' } },
    )
    expect(honeyhive.events[0].feedback).toEqual({ rating: 0, comment: 'wrong city', ground_truth: 'Paris' })
  })

  test('an update answered 404 (not stored yet) is tried again, then applied', async () => {
    const { honeyhive, hh, errors } = await setup({ ...onRoute(route), maxRetries: 0 })
    const id = hh.log({ model: 'gpt-4o' })
    await hh.flush()
    honeyhive.fail({ on: 'update', status: 404 })
    hh.feedback(id, { rating: 1 })
    const result = await hh.flush({ timeoutMs: 10_000 })
    expect(result).toMatchObject({ sent: 1, failed: 0, queued: 0 })
    expect(errors.map((error) => error.name)).toEqual(['HttpError'])
    expect(honeyhive.events[0].feedback).toEqual({ rating: 1 })
  }, 15_000)
})

describe('feedback never throws', () => {
  test('bad input is reported, never thrown, and sends nothing', async () => {
    const { honeyhive, hh, errors } = await setup({ apiKey: 'hh-feedback-test-key', dangerouslyAllowBrowser: true })
    const id = hh.log({ model: 'gpt-4o' })
    expect(() => hh.feedback(id, 'great' as never)).not.toThrow()
    expect(() => hh.feedback('not-an-id', { rating: 1 })).not.toThrow()
    expect(() => hh.feedback(undefined as never, null as never)).not.toThrow()
    const unreadable = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('revoked')
        },
      },
    )
    expect(() => hh.feedback(id, unreadable)).not.toThrow()
    await hh.flush()
    expect(errors.map((error) => error.name)).toEqual([
      'ValidationError',
      'ValidationError',
      'ValidationError',
      'HoneyHiveError',
    ])
    expect((errors[0] as ValidationError).issues[0].path).toBe('feedback')
    expect((errors[1] as ValidationError).issues[0].path).toBe('event_id')
    expect(honeyhive.events[0].feedback).toBeUndefined()
  })

  test('a page without a key needs the token its server made; after shutdown() feedback is reported, not sent', async () => {
    const { honeyhive, hh, errors } = await setup()
    const id = hh.log({ model: 'gpt-4o' })
    await hh.flush()
    hh.feedback(id, { rating: 1 })
    expect(errors[0]).toBeInstanceOf(ValidationError)
    expect(errors[0].message).toContain('createFeedbackToken')
    await hh.shutdown()
    hh.feedback(id, { rating: 1 }, { token: 'from-the-server' })
    expect(errors[1]).toBeInstanceOf(DroppedError)
    expect(errors[1]).toMatchObject({ reason: 'shutdown', eventIds: [id] })
    expect(honeyhive.requests.filter((request) => request.method !== 'OPTIONS')).toHaveLength(1)
  })
})
