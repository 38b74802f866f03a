import { afterEach, expect, test, vi } from 'vitest'
import { ConfigError, createClient } from '../../src/index.js'

// A key given to a client in a page is readable by anyone who opens the page: refused unless the caller
// says it is meant to be seen (issue 22, item 7). happy-dom gives the page its document and window.
const secret = 'hh_dom_secret_key_9f3b'

afterEach(() => vi.unstubAllGlobals())

/** The ConfigError createClient throws for `options`, or undefined when it creates the client. */
function refusal(options: object): ConfigError | undefined {
  try {
    void createClient(options as never).shutdown({ timeoutMs: 0 })
  } catch (caught) {
    return caught as ConfigError
  }
  return undefined
}

test('an apiKey in a page is a ConfigError that points at the relay, never echoes the key, and sends nothing', () => {
  const fetch = vi.fn(async () => new Response('{"event_ids":[],"success":true}'))
  const error = refusal({ apiKey: secret, baseUrl: 'http://127.0.0.1:9', fetch })
  expect(error).toBeInstanceOf(ConfigError)
  expect(error).toMatchObject({ option: 'apiKey' })
  expect(error!.message).toContain('relay')
  expect(error!.message).toContain('dangerouslyAllowBrowser: true')
  expect(`${error!.message} ${error!.stack} ${JSON.stringify(error)}`).not.toContain(secret)
  expect(fetch).not.toHaveBeenCalled()
})

test('dangerouslyAllowBrowser: true lets a page hold the key, sent as the Authorization header', async () => {
  const fetch = vi.fn(async (input: Request | string | URL) => {
    const { model_events } = (await (input as Request).json()) as { model_events: Array<{ event_id: string }> }
    return Response.json({ event_ids: model_events.map((event) => event.event_id), success: true })
  })
  const hh = createClient({ apiKey: secret, dangerouslyAllowBrowser: true, baseUrl: 'http://127.0.0.1:9', fetch })
  hh.log({ model: 'gpt-4o' })
  expect(await hh.shutdown()).toMatchObject({ sent: 1 })
  expect((fetch.mock.calls[0][0] as Request).headers.get('authorization')).toBe(`Bearer ${secret}`)
})

test('a page without a key (posting through a relay) needs no flag; the flag must be a boolean and is typo-checked', () => {
  expect(refusal({ baseUrl: 'http://127.0.0.1:9' })).toBeUndefined()
  expect(refusal({ apiKey: secret, dangerouslyAllowBrowser: false })).toMatchObject({ option: 'apiKey' })
  expect(refusal({ apiKey: secret, dangerouslyAllowBrowser: 'yes' })).toMatchObject({
    option: 'dangerouslyAllowBrowser',
  })
  expect(refusal({ dangerouslyAllowBrowsr: true })?.message).toContain('did you mean `dangerouslyAllowBrowser`?')
})

test('where there is no document (a Worker, Deno, Node) a key needs no flag', () => {
  vi.stubGlobal('document', undefined)
  expect(refusal({ apiKey: secret, baseUrl: 'http://127.0.0.1:9' })).toBeUndefined()
})
