import { DroppedError, redactSecret, type HoneyHiveError } from './errors.js'
import { treeMessage } from './prepare.js'
import type { ModelEvent } from './schema.js'

// Reading and checking what a page sends the relay: the body within limits, origins, session ids, events
// its upstream route can carry.

/**
 * Reads at most `limit` bytes of a body within `ms`: undefined when there were more, null when it came too
 * slowly (the stream is cancelled, not drained, either way).
 */
export async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number, ms: number) {
  if (!body) return ''
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let slow = false
  const stop = (): void => void reader.cancel().catch(() => undefined)
  const timer = setTimeout(() => {
    slow = true
    stop()
  }, ms)
  try {
    for (let size = 0; ;) {
      const { done, value } = await reader.read()
      if (slow) return null
      if (done) break
      size += value.byteLength
      if (size > limit) {
        stop()
        return undefined
      }
      chunks.push(value)
    }
  } finally {
    clearTimeout(timer)
  }
  return new Blob(chunks as BlobPart[]).text()
}

/** The `session_id` every event carries, when they all carry the same one. */
export const sharedSession = (events: Array<{ session_id?: string }>): string | undefined => {
  const ids = new Set(events.map((event) => event.session_id))
  return ids.size === 1 ? [...ids][0] : undefined
}

/** Whether `origin` is an exact origin (scheme://host[:port], nothing more). */
export const isOrigin = (origin: string): boolean => {
  try {
    return new URL(origin).origin === origin
  } catch {
    return false
  }
}

/**
 * A page's events for the seed's route, which carries model events only (issue 18): chain and tool events
 * are left out with one report per request, and a model event whose parent was one of them goes under its
 * session instead (its `parent_id` removed), never under a parent that will never arrive.
 */
export function modelEventsOnly(events: ModelEvent[], report: (error: HoneyHiveError) => void): ModelEvent[] {
  const isModel = (event: ModelEvent): boolean => (event.event_type ?? 'model') === 'model'
  const dropped = events.filter((event) => !isModel(event))
  if (dropped.length === 0) return events
  report(
    new DroppedError(
      'route',
      treeMessage,
      dropped.flatMap((event) => event.event_id ?? []),
    ),
  )
  const parents = new Set(dropped.map((event) => event.event_id))
  return events.filter(isModel).map((event) => {
    if (event.parent_id === undefined || !parents.has(event.parent_id)) return event
    const { parent_id, ...unparented } = event
    return unparented
  })
}

/**
 * The relay's `onError` path: errors lose their `cause` (ky's holds the upstream request, Authorization
 * included) and every secret in them (an upstream may quote the key: a proxy, a WAF); the caller's
 * `onError` never breaks a request. @default console.error of the message
 */
export function createReporter(secrets: string[], onError?: (error: HoneyHiveError) => void) {
  return (error: HoneyHiveError): void => {
    delete (error as { cause?: unknown }).cause
    for (const secret of secrets) redactSecret(error, secret)
    try {
      if (onError) onError(error)
      else console.error(`[honeyhive-edge/relay] ${error.message}`)
    } catch {
      // onError is the caller's code: its failure must not turn into a failed request or waitUntil.
    }
  }
}
