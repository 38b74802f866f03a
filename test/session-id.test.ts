import { expect, test } from 'vitest'
import { createClient } from '../src/index.js'
import { sessionIdFor, sessionNamespace } from '../src/ids.js'
import { onRoute, routes, startFakeHoneyHive } from './helpers/fake-server.js'

// Conversation ids are often not UUIDs (the AI SDK's chat ids; issue 22, item 6): each maps to one UUIDv5, the
// same in every client and runtime, which a server computes with any UUID library. Vectors from Python's
// uuid.uuid5(uuid.UUID(sessionNamespace), name), an implementation independent of ours.
const vectors: Array<[string, string]> = [
  ['conversation-42', '0cef85a5-da07-55b3-a28f-384d4a6c1de3'],
  ['conversation-43', 'a83162ad-2d19-5e7e-a28c-4f8521223387'],
  ['chat_9Xk2LmQ', 'b34d397f-3027-5f34-bc0f-8ca3abff6601'],
  ['', 'ba27aca5-58cd-5faf-95c8-b6af20f89278'],
  ['héllo 👋', '9fa27610-7e19-5545-85fd-bdbd3151a608'],
  // Names around SHA-1's block boundary (namespace 16 bytes + name; padding needs 9 more bytes) and past it.
  ['x'.repeat(39), '9537c8e2-10c5-5216-b325-e15fa1abd2d9'],
  ['x'.repeat(40), 'd52da1b6-52d2-548a-ac1b-edc4cbbc471e'],
  ['x'.repeat(47), '8181fc5e-2227-5ce5-b41b-bd9822ed4487'],
  ['x'.repeat(48), '7401af57-807e-5c72-98cc-f66303c07477'],
  ['a'.repeat(200), 'b12b5c80-ccb0-5703-a69c-70c53c5a4e41'],
]

test.each(vectors)('sessionIdFor(%j) is the UUIDv5 a server computes: %s', (id, expected) => {
  expect(sessionIdFor(id)).toBe(expected)
})

test('the namespace is uuid5(NAMESPACE_URL, the package URL), as documented', () => {
  // NAMESPACE_URL is 6ba7b811-9dad-11d1-80b4-00c04fd430c8 (RFC 9562); the vector is Python's.
  expect(sessionNamespace).toBe('9b39d488-1409-5c8b-8e46-8a298c53103b')
})

test('different ids give different sessions; the same id always the same', () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `conversation-${i}`)
  expect(new Set(ids.map(sessionIdFor)).size).toBe(1000)
  expect(ids.map(sessionIdFor)).toEqual(ids.map(sessionIdFor))
})

test('a UUID is kept as it is, whatever its version or case', () => {
  for (const id of [
    '7f22137a-6911-4ed3-bc36-110f1dde6b01',
    '0CEF85A5-DA07-55B3-A28F-384D4A6C1DE3',
    '00000000-0000-0000-0000-000000000000',
  ]) {
    expect(sessionIdFor(id)).toBe(id)
  }
})

for (const route of routes) {
  test(`on ${route}, createClient({ sessionId: 'conversation-42' }) works, and two clients of it share one session`, async () => {
    const { honeyhive, baseUrl } = await startFakeHoneyHive()
    const clients = [0, 1].map(() => createClient({ ...onRoute(route), baseUrl, sessionId: 'conversation-42' }))
    expect(clients.map((hh) => hh.sessionId)).toEqual(Array(2).fill('0cef85a5-da07-55b3-a28f-384d4a6c1de3'))
    clients.forEach((hh, i) => hh.log({ model: 'gpt-4o', metadata: { i } }))
    await Promise.all(clients.map((hh) => hh.shutdown()))
    expect(honeyhive.events.map((event) => event.session_id)).toEqual(
      Array(2).fill('0cef85a5-da07-55b3-a28f-384d4a6c1de3'),
    )
  })
}
