import type { HoneyHiveError } from './errors.js'
import { HttpError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import type { Entry } from './queue.js'
import type { Frame } from './routes.js'
import type { Limits } from './sender.js'
import { batchBody, updateTarget } from './transport.js'

// What a page being hidden sends, and how: chunks within the limits a 413 taught, by sendBeacon (or a
// keepalive fetch when a key must be sent), a refused beacon split in half (policy.ts, pageHidePolicy).

const ids = (entries: Entry[]): string[] => entries.map((entry) => entry.id)

/**
 * Cuts `entries` into requests within what a 413 taught (a relay's maxEvents, a proxy's body size: beacons
 * cannot see a 413), each with its envelope, while `budget` bytes of the page's keepalive quota last; an
 * update is a chunk of its own. `fit` is how many entries the chunks hold.
 */
export function chunkForHide(entries: Entry[], budget: number, envelope: number, limits: Readonly<Limits>) {
  let fit = 0
  const chunks: Entry[][] = []
  let chunkBytes = 0
  for (; fit < entries.length; fit++) {
    const { update, bytes } = entries[fit]
    const last = chunks[chunks.length - 1]
    const fresh =
      !last ||
      update ||
      last[0].update ||
      last.length >= limits.batchCount ||
      chunkBytes + bytes + 1 > limits.batchBytes
    if ((budget -= bytes + 1 + (fresh ? envelope : 0)) < 0) break
    if (fresh) {
      chunks.push([])
      chunkBytes = 0
    }
    chunks[chunks.length - 1].push(entries[fit])
    chunkBytes += bytes + 1
  }
  return { chunks, fit }
}

/**
 * Returns `send(chunk, frame)`: posts a chunk without waiting, halving it while the browser refuses (or
 * throws: a bad beaconUrl); returns what could not go. A keepalive fetch refused over the quota (usually
 * after the page is gone) hands its chunk to `store`; a keepalive answer that is not ok goes to `refused`.
 */
export function createBeaconSender(
  options: ResolvedOptions,
  refused: (error: HoneyHiveError) => void,
  store: (chunk: Entry[]) => void,
) {
  // Beacons cannot carry headers (field notes §2): with an apiKey and no beaconUrl, a keepalive fetch does.
  const beaconUrl = options.beaconUrl ?? (options.apiKey ? undefined : options.batchUrl)
  const base = options.batchUrl.slice(0, -options.route.length)

  function keepaliveFetch(chunk: Entry[], body: string): true {
    const headers = { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' }
    const target = chunk[0].update ? updateTarget(base, options.route, JSON.parse(body), false) : undefined
    if (target) body = JSON.stringify(target.body)
    const method = target?.method.toUpperCase() ?? 'POST'
    void (options.fetch ?? fetch)(target?.url ?? options.batchUrl, { method, keepalive: true, headers, body })
      .then((response) => {
        void response.body?.cancel()
        if (!response.ok) refused(new HttpError(response.status, undefined, ids(chunk)))
      })
      .catch(() => store(chunk))
    return true
  }

  return function send(chunk: Entry[], frame: Frame): Entry[] {
    if (chunk.length === 0) return chunk
    // An event update goes alone, as its own body.
    const body = chunk[0].update ? chunk[0].json : batchBody(chunk, frame)
    try {
      // text/plain: an application/json beacon needs a preflight and is dropped cross-origin while
      // sendBeacon still returns true (field notes §2). The receiver parses the body as JSON.
      const blob = new Blob([body], { type: 'text/plain' })
      if (beaconUrl ? navigator.sendBeacon(beaconUrl, blob) : keepaliveFetch(chunk, body)) return []
    } catch {}
    if (chunk.length === 1) return chunk
    const half = Math.ceil(chunk.length / 2)
    const unsent = send(chunk.slice(0, half), frame)
    return unsent.length > 0 ? unsent.concat(chunk.slice(half)) : send(chunk.slice(half), frame)
  }
}
