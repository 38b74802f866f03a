// Assertions for code that runs outside vitest (Bun, Deno, the Edge Runtime, a browser page): plain errors
// whose message says what was expected. Values are shown as JSON; never pass a secret as a value.

/** JSON with object keys sorted, so that two equal values print the same. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : item,
  )
}

/** Throws unless `actual` and `expected` are deeply equal (as JSON). */
export function equal(actual: unknown, expected: unknown, what: string): void {
  if (canonical(actual) !== canonical(expected))
    throw new Error(`${what}: expected ${canonical(expected)}, got ${canonical(actual)}`)
}

/** Throws unless `condition` holds; `detail` says what was seen instead. */
export function ok(condition: unknown, what: string, detail = ''): asserts condition {
  if (!condition) throw new Error(detail ? `${what} (${detail})` : what)
}

/** Throws if `text` contains `secret`, without printing either. */
export function lacks(text: string, secret: string, what: string): void {
  if (text.includes(secret)) throw new Error(`${what} contains the API key`)
}

/** Runs `body`, rejecting with `what` if it has not settled within `ms` (the deadline starts first). */
export async function within<T>(body: () => Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)),
  )
  try {
    return await Promise.race([body(), deadline])
  } finally {
    clearTimeout(timer)
  }
}
