// What a parsed JSON value costs on V8's heap, estimated, so that the inspector's memory bound bounds memory:
// JSON characters do not (`[{},{},...]` is 3 characters and 64 bytes per object; measured with
// `node --expose-gc` on Node 20, 64-bit, heapUsed around JSON.parse). Each estimate is at or above what was
// measured: empty object 56 B, empty array 32 B, a slot 8 B, a string 24 B plus 1 B a character (2 B past
// Latin-1), a property 16 B plus its key.

const slot = 8
const objectBytes = 56
const arrayBytes = 32
const propertyBytes = 16
const stringBytes = 24
// Beyond Latin-1, V8 stores two bytes a character.
const wide = /[^\u0000-\u00ff]/

const textBytes = (text: string) => stringBytes + text.length * (wide.test(text) ? 2 : 1)

/**
 * The estimated heap bytes `value` (a JSON value: what `JSON.parse` returns) keeps alive, counted without
 * recursion (`JSON.parse` takes nesting deeper than the stack). Stops counting once past `limit`.
 */
export function retainedBytes(value: unknown, limit = Infinity): number {
  let bytes = 0
  const stack: unknown[] = [value]
  while (stack.length > 0 && bytes <= limit) {
    const item = stack.pop()
    bytes += slot
    if (typeof item === 'string') bytes += textBytes(item)
    else if (typeof item === 'number') bytes += slot
    else if (Array.isArray(item)) {
      bytes += arrayBytes
      for (const element of item) stack.push(element)
    } else if (typeof item === 'object' && item !== null) {
      bytes += objectBytes
      for (const key in item) {
        bytes += propertyBytes + key.length
        stack.push((item as Record<string, unknown>)[key])
      }
    }
  }
  return bytes
}

/**
 * `text` cut to `max` characters, as a string of its own: a plain `slice` of a long string keeps the whole
 * original alive in V8 (a sliced string points into its parent).
 */
export function ownText(text: string, max: number): string {
  if (text.length <= max) return text
  return `${JSON.parse(JSON.stringify(text.slice(0, max))) as string}…`
}
