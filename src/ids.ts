import { isUuid } from './schema.js'

/**
 * A random UUIDv4. `crypto.randomUUID` exists only in secure contexts (https, localhost), so pages served
 * over plain http fall back to `crypto.getRandomValues`, which every runtime we support has.
 */
export function randomId(): string {
  const { crypto } = globalThis
  if (crypto.randomUUID) return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6] & 0x0f) | 0x40 // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80 // variant 10xx
  return Array.from(
    bytes,
    (byte, i) => (i > 3 && i < 11 && !(i & 1) ? '-' : '') + (byte + 256).toString(16).slice(1),
  ).join('')
}

/** A stable number in [0, 1) for a string (FNV-1a), so sampling keeps or drops a whole session. */
export function unitHash(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return (hash >>> 0) / 2 ** 32
}

/** SHA-1 (FIPS 180-4) of `bytes` as five words, synchronous: for name-based UUIDs only, never for secrets. */
function sha1(bytes: Uint8Array): number[] {
  const { length } = bytes
  // The message, the 0x80 marker and its length in bits (names stay far under 512 MB), big-endian words.
  const size = (((length + 8) >> 6) + 1) * 16
  const words = new Int32Array(size)
  bytes.forEach((byte, i) => (words[i >> 2] |= byte << (24 - (i & 3) * 8)))
  words[length >> 2] |= 0x80 << (24 - (length & 3) * 8)
  words[size - 1] = length * 8
  const rotate = (x: number, n: number): number => (x << n) | (x >>> (32 - n))
  let h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]
  for (let block = 0; block < size; block += 16) {
    const w: number[] = []
    let [a, b, c, d, e] = h
    for (let t = 0; t < 80; t++) {
      w[t] = t < 16 ? words[block + t] : rotate(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1)
      const f = t < 20 ? (b & c) | (~b & d) : t < 40 || t >= 60 ? b ^ c ^ d : (b & c) | (b & d) | (c & d)
      const k = [0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6][(t / 20) | 0]
      ;[a, b, c, d, e] = [(rotate(a, 5) + f + e + k + w[t]) | 0, a, rotate(b, 30), c, d]
    }
    h = [a, b, c, d, e].map((word, i) => (word + h[i]) | 0)
  }
  return h
}

/** The namespace of session ids: `uuid5(NAMESPACE_URL, 'https://www.npmjs.com/package/honeyhive-edge#sessionId')`. */
export const sessionNamespace = '9b39d488-1409-5c8b-8e46-8a298c53103b'

/**
 * The session id HoneyHive gets for a conversation id: a UUID is kept as it is; any other string becomes
 * the name-based UUID (version 5, RFC 9562) of its UTF-8 bytes in `sessionNamespace`, so the same id gives
 * the same session in every client, runtime and page. A server computes the same with any UUID library,
 * e.g. Python's `uuid.uuid5(uuid.UUID('9b39d488-1409-5c8b-8e46-8a298c53103b'), 'conversation-42')`.
 *
 * @example
 * sessionIdFor('conversation-42') // → '0cef85a5-da07-55b3-a28f-384d4a6c1de3'
 */
export function sessionIdFor(id: string): string {
  if (isUuid(id)) return id
  const namespace = sessionNamespace
    .replace(/-/g, '')
    .match(/../g)!
    .map((pair) => parseInt(pair, 16))
  const hex = sha1(new Uint8Array([...namespace, ...new TextEncoder().encode(id)]))
    .slice(0, 4)
    .map((word) => (word >>> 0).toString(16).padStart(8, '0'))
    .join('')
  // Version 5 in the 13th digit, variant 10xx in the 17th.
  const variant = ((parseInt(hex[16], 16) & 3) | 8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
