/** The faults the inspector's buttons play: an answer, or a stall (headers, then no body). */
export type FaultKind = '429' | '500' | '413' | 'stall'

/** One fault for one request. */
export interface InspectorFault {
  kind: FaultKind
  /** For a 429: the `Retry-After` header, in seconds. @default 2 */
  retryAfter?: number
}

/** What is scheduled: the faults the next requests get, in order, and until when the server is down. */
export interface FaultState {
  pending: string[]
  /** `Date.now()` until which every connection to a batch route is dropped; absent when up. */
  downUntil?: number
}

/** How long a stalled answer stays open at most before its connection is dropped, in ms. */
export const stallMs = 5 * 60_000
/** Most faults queued at once, and the longest `Retry-After` or outage, in seconds. */
export const faultLimits = { pending: 1000, seconds: 3600 }
const kinds = new Set<FaultKind>(['429', '500', '413', 'stall'])

/** A fault's name in the request log and on the page. */
export const faultLabel = (fault: InspectorFault): string =>
  fault.kind === '429' ? `429 Retry-After ${fault.retryAfter ?? 2} s` : fault.kind

/** Checks a fault given to the API; returns why it is refused, if it is. */
export function checkFault(fault: { kind?: unknown; retryAfter?: unknown }): string | undefined {
  if (!kinds.has(fault.kind as FaultKind)) return `kind must be one of ${[...kinds].join(', ')}`
  const { retryAfter } = fault
  if (
    retryAfter !== undefined &&
    !(Number.isInteger(retryAfter) && (retryAfter as number) >= 0 && (retryAfter as number) <= faultLimits.seconds)
  ) {
    return `retryAfter must be whole seconds from 0 to ${faultLimits.seconds}`
  }
  return undefined
}

/** The scheduled faults: a queue played one per request, and an outage that lasts a while. */
export function createFaults(onChange: (state: FaultState) => void) {
  let pending: InspectorFault[] = []
  let downUntil = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const state = (): FaultState => ({ pending: pending.map(faultLabel), ...(downUntil > Date.now() && { downUntil }) })
  const changed = () => onChange(state())
  /** Drops every connection to a batch route for `seconds` (0 ends an outage). */
  function down(seconds: number) {
    clearTimeout(timer)
    downUntil = seconds > 0 ? Date.now() + seconds * 1000 : 0
    // Tells the page when the outage is over, so that it need not guess from its own clock.
    if (seconds > 0) (timer = setTimeout(changed, seconds * 1000)).unref?.()
    changed()
  }
  return {
    state,
    add(fault: InspectorFault, count = 1) {
      const room = faultLimits.pending - pending.length
      pending.push(...Array.from({ length: Math.max(0, Math.min(count, room)) }, () => ({ ...fault })))
      changed()
    },
    /** The fault the next request gets, if any. */
    take(): InspectorFault | undefined {
      const fault = pending.shift()
      if (fault) changed()
      return fault
    },
    down,
    isDown: () => downUntil > Date.now(),
    clear() {
      pending = []
      down(0)
    },
    stop: () => clearTimeout(timer),
  }
}

/**
 * The answer a fault plays. 429, 500 and 413 answer at once with HoneyHive's error body (and a 429 with
 * `Retry-After`). A stall sends `200` headers and then no body, so a client that times only the connection
 * hangs while one that bounds the whole attempt (as honeyhive-edge's `timeoutMs` does) gives up and retries;
 * after `stallMs` the connection is dropped.
 */
export function playFault(fault: InspectorFault, headers: Record<string, string>): Response {
  if (fault.kind === 'stall') {
    let timer: ReturnType<typeof setTimeout> | undefined
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => void (timer = setTimeout(() => controller.error(new Error('stall over')), stallMs)),
      cancel: () => clearTimeout(timer),
    })
    return new Response(body, { status: 200, headers: { ...headers, 'content-type': 'application/json' } })
  }
  const status = Number(fault.kind)
  const messages: Record<string, string> = {
    429: 'Too many requests (inspector fault)',
    500: 'Internal error (inspector fault)',
    413: 'Payload too large (inspector fault)',
  }
  const extra: Record<string, string> = fault.kind === '429' ? { 'retry-after': String(fault.retryAfter ?? 2) } : {}
  const body = { statusCode: status, message: messages[fault.kind], success: false, errorCode: 'INSPECTOR_FAULT' }
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, ...extra, 'content-type': 'application/json' },
  })
}
