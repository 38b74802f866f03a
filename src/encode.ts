// The one encoder every sender uses (batches, beacons, keepalive, storage). Rules, also in the README:
// BigInt -> its decimal string; Error -> { name, message }; functions, symbols and undefined -> left out
// (null inside arrays, as JSON.stringify does); NaN and ±Infinity -> null; a repeated ancestor (a cycle)
// -> the string '[Circular]'; anything with toJSON (Date, URL) -> what toJSON returns.

const CIRCULAR = '[Circular]'

function replaceValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Error) return { name: value.name, message: value.message }
  return value
}

function fastReplacer(_key: string, value: unknown): unknown {
  return replaceValue(value)
}

/** JSON text of `value` that never throws for the values above. */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value, fastReplacer)
  } catch {
    // Only a cycle (or a throwing toJSON/getter) gets here: walk again, tracking the ancestors of each
    // value. JSON.stringify visits depth first and calls the replacer with the holder as `this`, so the
    // stack can be unwound to the holder to know the current path.
    const ancestors: unknown[] = []
    return JSON.stringify(value, function (this: unknown, _key: string, raw: unknown) {
      const value = replaceValue(raw)
      while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop()
      if (typeof value !== 'object' || value === null) return value
      if (ancestors.includes(value)) return CIRCULAR
      ancestors.push(value)
      return value
    })
  }
}

/** UTF-8 byte length of a string. Most events are ASCII, where a regex test is the fastest way to know. */
export const byteLength = (text: string): number =>
  /^[\x00-\x7f]*$/.test(text) ? text.length : new TextEncoder().encode(text).length

const sizeOf = (value: unknown): number => byteLength(JSON.stringify(value) ?? '')

/**
 * Makes `value` (a JSON tree) about `excess` bytes smaller: strings keep their start and end with a
 * marker, containers shrink their largest members first; an array that is still too big loses its last
 * items, an object its content, each behind a marker.
 */
function shrink(value: unknown, excess: number): unknown {
  if (typeof value === 'string') {
    // The longest start that fits in UTF-8 bytes; encodeInto never writes half a surrogate pair.
    const { read = 0 } = new TextEncoder().encodeInto(value, new Uint8Array(Math.max(0, byteLength(value) - excess - 40)))
    return `${value.slice(0, read)}…[truncated ${value.length - read} chars]`
  }
  if (typeof value !== 'object' || value === null) return value
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>
  excess = shrinkMembers(copy, excess)
  if (excess <= 0) return copy
  const marker = `…[truncated ${sizeOf(value)} bytes]`
  if (!Array.isArray(copy)) return { _truncated: marker }
  while (copy.length > 0 && excess > 0) excess -= sizeOf(copy.pop()) + 1
  return [...copy, marker]
}

/** Shrinks the members of `target` in place, largest first (except those named in `keep`); returns the excess left. */
function shrinkMembers(target: Record<string, unknown>, excess: number, keep: string[] = []): number {
  const members = Object.keys(target)
    .filter((key) => !keep.includes(key))
    .map((key) => [key, sizeOf(target[key])] as const)
    .sort((a, b) => b[1] - a[1])
  for (const [key, size] of members) {
    if (excess <= 0 || size < 64) break
    target[key] = shrink(target[key], excess)
    excess -= size - sizeOf(target[key])
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
}

/** Encodes one event, cutting its largest fields (never its ids) until it fits in `maxBytes`. */
export function encodeEvent(event: Record<string, unknown>, maxBytes: number): EncodedEvent {
  let json = toJson(event)
  let bytes = byteLength(json)
  const truncated = bytes > maxBytes
  if (truncated) {
    const fields = JSON.parse(json)
    for (let round = 0; bytes > maxBytes && round < 4; round++) {
      // Ids and the event type stay whole: the server refuses a cut or marked id, and the whole batch with it.
      shrinkMembers(fields, bytes - maxBytes, ['event_id', 'session_id', 'parent_id', 'children_ids', 'event_type'])
      json = toJson(fields)
      bytes = byteLength(json)
    }
  }
  return { id: String(event.event_id), json, bytes, truncated }
}
