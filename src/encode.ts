// The one encoder every sender uses (batches, beacons, keepalive, storage). Rules, also in the README:
// BigInt -> its decimal string; Error -> { name, message }; Map -> an object (keys as strings); Set, typed
// arrays, ArrayBuffer, DataView -> arrays (of bytes for the last two; binary data cut at maxBinaryItems); functions, symbols and undefined ->
// left out (null inside arrays, as JSON.stringify does); NaN and ±Infinity -> null; a repeated ancestor
// (a cycle) -> '[Circular]'; an object or array nested more than `maxDepth` levels below the event ->
// a marker; anything with toJSON (Date, URL) -> what toJSON returns.

/** Objects and arrays nested deeper than this below the event are cut with a marker (and never overflow the stack). */
export const maxDepth = 100
const CIRCULAR = '[Circular]'
const DEEP = `…[truncated: nested over ${maxDepth} levels]`

/**
 * Binary data keeps this many items at most, then a marker: an embedding's floats whole, an image's bytes
 * cut (the AI SDK's file parts). A 1.5 MB photo was 1.5 million numbers to encode and cut, 5 s in log().
 */
export const maxBinaryItems = 16_384

/** The JSON-ready form of one value (after its toJSON): what JSON.stringify would lose or mangle, kept. */
export function replaceValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (typeof value !== 'object' || value === null) return value
  if (value instanceof Error) return { name: value.name, message: value.message }
  if (value instanceof Map) return Object.fromEntries(value)
  if (value instanceof Set) return [...value]
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    // Bytes for an ArrayBuffer or a DataView (an ArrayBuffer has no `buffer`), the elements of a typed array.
    const view = value as DataView
    const items = (
      value instanceof DataView || !view.buffer
        ? new Uint8Array(view.buffer ?? value, view.byteOffset, view.byteLength)
        : value
    ) as Uint8Array
    const kept = Array.from(items.subarray(0, maxBinaryItems)) as unknown[]
    if (items.length > maxBinaryItems) kept.push(`…[truncated ${items.length - maxBinaryItems} items]`)
    return kept
  }
  return value
}

/**
 * JSON text of `value` that never throws for the values above. JSON.stringify visits depth first and calls
 * the replacer with the holder as `this`, so a stack unwound to the holder knows each value's depth; the
 * cycle check costs more, so it runs only when the plain walk met a cycle.
 */
function walk(value: unknown, cycles: boolean): string {
  const ancestors: unknown[] = []
  return JSON.stringify(value, function (this: unknown, _key: string, raw: unknown) {
    const value = replaceValue(raw)
    while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop()
    if (typeof value !== 'object' || value === null) return value
    if (ancestors.length > maxDepth) return DEEP
    if (cycles && ancestors.includes(value)) return CIRCULAR
    ancestors.push(value)
    return value
  })
}

/**
 * Whether `value` is plain data that JSON.stringify already encodes by the rules above: primitives but
 * BigInt, and plain objects and arrays (no toJSON) within `maxDepth`. A walk that only reads is several
 * times cheaper than a replacer called for every member, so most events take the fast path (issue 20).
 */
export function isPlain(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'bigint'
  if (depth > maxDepth) return false
  if (Array.isArray(value)) {
    for (const item of value) if (!isPlain(item, depth + 1)) return false
    return true
  }
  const prototype = Object.getPrototypeOf(value)
  if (
    (prototype !== Object.prototype && prototype !== null) ||
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  )
    return false
  for (const key in value) if (!isPlain((value as Record<string, unknown>)[key], depth + 1)) return false
  return true
}

/**
 * JSON text of `value` by the rules above; throws only when the caller's data does (a getter, a toJSON).
 * `plain`: the caller already knows `isPlain(value)` (log() walks each event once).
 */
export function toJson(value: unknown, plain = isPlain(value)): string {
  if (plain) return JSON.stringify(value)
  try {
    return walk(value, false)
  } catch {
    // A cycle (or a throwing toJSON/getter, which throws again here).
    return walk(value, true)
  }
}

/** Scratch space for byteLength: encodeInto writes there, 4x faster than a regex test for ASCII (issue 20). */
let scratch: Uint8Array | undefined
let encoder: TextEncoder | undefined

/** UTF-8 byte length of a string (a lone surrogate counts 3, as TextEncoder writes U+FFFD). */
export function byteLength(text: string): number {
  // At most 3 bytes per UTF-16 unit; past 64 KiB of scratch, ASCII is its length, else encode() allocates.
  encoder ??= new TextEncoder()
  if (text.length * 3 > 65_536) return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).length
  return encoder.encodeInto(text, (scratch ??= new Uint8Array(65_536))).written
}

/** JSON size in bytes of a parsed JSON tree, each container measured once (truncation stays linear in the event's size). */
function measure(sizes: WeakMap<object, number>, value: unknown): number {
  if (typeof value === 'number') return String(value).length
  if (typeof value !== 'object' || value === null) return byteLength(JSON.stringify(value) ?? '')
  let size = sizes.get(value)
  if (size === undefined) {
    // Brackets and commas, then each member: "key": for objects. Arrays by index: one may hold a million numbers.
    const array = Array.isArray(value)
    const keys = array ? value : Object.keys(value)
    size = Math.max(2, keys.length + 1)
    for (let i = 0; i < keys.length; i++)
      size += array
        ? measure(sizes, value[i])
        : byteLength(JSON.stringify(keys[i])) + 1 + measure(sizes, (value as Record<string, unknown>)[keys[i]])
    sizes.set(value, size)
  }
  return size
}

/** The longest start of `text` whose JSON (escaped, UTF-8) stays within `budget` bytes, never half a surrogate pair. */
function cut(text: string, budget: number): string {
  // Printable ASCII without quotes or backslashes: one byte per character.
  if (/^[ !#-[\]-~]*$/.test(text)) return text.slice(0, Math.max(0, budget))
  let [low, high] = [0, text.length]
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    if (byteLength(JSON.stringify(text.slice(0, mid))) - 2 <= budget) low = mid
    else high = mid - 1
  }
  return text.slice(0, low - (/[\ud800-\udbff]/.test(text[low - 1]) && /[\udc00-\udfff]/.test(text[low]) ? 1 : 0))
}

/**
 * Makes `value` (a JSON tree) about `excess` bytes smaller: strings keep their start and end with a
 * marker, containers shrink their largest members first; an array that is still too big loses its last
 * items, an object its content, each behind a marker.
 */
function shrink(sizes: WeakMap<object, number>, value: unknown, excess: number): unknown {
  const size = measure(sizes, value)
  if (typeof value === 'string') {
    const kept = cut(value, size - 2 - excess - 40)
    return `${kept}…[truncated ${value.length - kept.length} chars]`
  }
  if (typeof value !== 'object' || value === null) return value
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>
  excess = shrinkMembers(sizes, copy, excess)
  if (excess <= 0) return copy
  const marker = `…[truncated ${size} bytes]`
  if (!Array.isArray(copy)) return { _truncated: marker }
  // Room for the marker too, else the parent has to cut the whole array.
  excess += byteLength(JSON.stringify(marker)) + 1
  while (copy.length > 0 && excess > 0) excess -= measure(sizes, copy.pop()) + 1
  return [...copy, marker]
}

/** Shrinks the members of `target` in place, largest first (except those named in `keep`); returns the excess left. */
function shrinkMembers(
  sizes: WeakMap<object, number>,
  target: Record<string, unknown>,
  excess: number,
  keep: string[] = [],
): number {
  // Members under 64 bytes are never cut: left out before sorting (an array may hold a million).
  const members = Object.keys(target)
    .filter((key) => !keep.includes(key))
    .map((key) => [key, measure(sizes, target[key])] as const)
    .filter((member) => member[1] >= 64)
    .sort((a, b) => b[1] - a[1])
  for (const [key, size] of members) {
    if (excess <= 0 || size < 64) break
    target[key] = shrink(sizes, target[key], excess)
    excess -= size - measure(sizes, target[key])
  }
  return excess
}

/** An event ready to send: its id, its JSON text and that text's UTF-8 size, computed once. */
export interface EncodedEvent {
  id: string
  json: string
  bytes: number
  /** True when fields were cut to fit `maxBytes`. */
  truncated: boolean
  /** The event's own top-level `session_id` (session.ts joins a session by it). */
  session?: string
}

/** Encodes one event, cutting its largest fields (never its ids) until it fits in `maxBytes`; `plain` as in toJson. */
export function encodeEvent(event: Record<string, unknown>, maxBytes: number, plain?: boolean): EncodedEvent {
  let json = toJson(event, plain)
  let bytes = byteLength(json)
  const truncated = bytes > maxBytes
  if (truncated) {
    const fields = JSON.parse(json)
    const sizes = new WeakMap<object, number>()
    for (let round = 0; bytes > maxBytes && round < 4; round++) {
      // Ids and the event type stay whole: the server refuses a cut or marked id, and the whole batch with it.
      shrinkMembers(sizes, fields, bytes - maxBytes, [
        'event_id',
        'session_id',
        'parent_id',
        'children_ids',
        'event_type',
      ])
      json = toJson(fields)
      bytes = byteLength(json)
    }
  }
  return { id: String(event.event_id), json, bytes, truncated }
}
