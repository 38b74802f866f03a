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
  return Array.from(bytes, (byte, i) => (i > 3 && i < 11 && !(i & 1) ? '-' : '') + (byte + 256).toString(16).slice(1)).join('')
}

/** A stable number in [0, 1) for a string (FNV-1a), so sampling keeps or drops a whole session. */
export function unitHash(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return (hash >>> 0) / 2 ** 32
}

/** SHA-1 of `bytes` (FIPS 180-4), synchronous: only for name-based UUIDs, never for anything secret. */
function sha1(bytes: Uint8Array): Uint8Array {
  // The message, the 0x80 marker and the 64-bit length in bits, as big-endian words in 64-byte blocks.
  const words = new Uint32Array((((bytes.length + 8) >> 6) + 1) * 16)
  bytes.forEach((byte, i) => (words[i >> 2] |= byte << (24 - (i & 3) * 8)))
  words[bytes.length >> 2] |= 0x80 << (24 - (bytes.length & 3) * 8)
  words[words.length - 2] = Math.floor(bytes.length / 2 ** 29)
  words[words.length - 1] = bytes.length * 8
  const rotate = (x: number, n: number): number => (x << n) | (x >>> (32 - n))
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]
  const w = new Int32Array(80)
  for (let block = 0; block < words.length; block += 16) {
    for (let t = 0; t < 80; t++) w[t] = t < 16 ? words[block + t] : rotate(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1)
    let [a, b, c, d, e] = h
    for (let t = 0; t < 80; t++) {
      const f = t < 20 ? (b & c) | (~b & d) : t < 40 || t >= 60 ? b ^ c ^ d : (b & c) | (b & d) | (c & d)
      const k = t < 20 ? 0x5a827999 : t < 40 ? 0x6ed9eba1 : t < 60 ? 0x8f1bbcdc : 0xca62c1d6
      const next = (rotate(a, 5) + f + e + k + w[t]) | 0
      e = d
      d = c
      c = rotate(b, 30)
      b = a
      a = next
    }
    h[0] += a
    h[1] += b
    h[2] += c
    h[3] += d
    h[4] += e
  }
  return new Uint8Array(h.flatMap((word) => [word >>> 24, word >>> 16, word >>> 8, word].map((byte) => byte & 0xff)))
}

/** The namespace of session ids: `uuid5(NAMESPACE_URL, 'https://www.npmjs.com/package/honeyhive-edge#sessionId')`. */
export const sessionNamespace = '9b39d488-1409-5c8b-8e46-8a298c53103b'
const hex = (text: string): number[] => Array.from(text.replace(/-/g, '').match(/../g)!, (pair) => parseInt(pair, 16))

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
  const hash = sha1(new Uint8Array([...hex(sessionNamespace), ...new TextEncoder().encode(id)]))
  hash[6] = (hash[6] & 0x0f) | 0x50 // version 5
  hash[8] = (hash[8] & 0x3f) | 0x80 // variant 10xx
  return Array.from(hash.subarray(0, 16), (byte, i) => ([4, 6, 8, 10].includes(i) ? '-' : '') + (byte + 256).toString(16).slice(1)).join('')
}
