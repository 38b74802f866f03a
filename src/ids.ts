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
