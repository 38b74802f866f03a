// The fake HoneyHive's scripted faults (createFakeHoneyHive's `fail`): what a test can script, the queue
// the requests take them from, and the answers a fault plays, shaped as HoneyHive shapes its errors.

/**
 * One scripted answer of the fake, used by the next valid request (a batch POST or an event update; not by
 * preflights or refused requests), or by the next of one kind with `on`.
 */
export interface Fault {
  /** Keep this fault for the next batch (`'batch'`) or the next event update (`'update'`) only. @default either */
  on?: 'batch' | 'update'
  /** HTTP status to answer; a 2xx stores the events and answers 200 normally (unless `body` is set). @default 500, or 200 for a fault that only has `delayMs` */
  status?: number
  /** `Retry-After` header value: seconds, or an HTTP date. */
  retryAfter?: number | string
  /** Wait this long (ms) before answering (to provoke timeouts). */
  delayMs?: number
  /** Response body; JSON-encoded unless a string. @default `{ statusCode, message, success: false }` */
  body?: unknown
  /**
   * A partial 500: the first `created` events of the batch are stored, and the answer is
   * `500 { event_ids: [their ids], errors: [...], success: false }` on the seed's route, and a plain
   * `500 { statusCode, message, success: false }` on v1 (which declares no body saying what was created).
   */
  created?: number
}

/** A response with `body` JSON-encoded (a string as it is, as text/plain). */
export function json(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers },
  })
}

/** HoneyHive's error answer: `{ statusCode, message, success: false, errorCode }`. */
export const refuse = (status: number, message: string, headers: Record<string, string>, errorCode = 'BAD_REQUEST') =>
  json(status, { statusCode: status, message, success: false, errorCode }, headers)

/** The faults `fail` scripted and no request has taken yet, in order. */
export function createFaultQueue() {
  let faults: Fault[] = []
  return {
    push: (more: Fault[]) => {
      faults.push(...more)
    },
    clear: () => {
      faults = []
    },
    /** The next scripted fault for this kind of request: the first one not kept for the other kind. */
    take(kind: 'batch' | 'update'): Fault | undefined {
      const index = faults.findIndex((fault) => fault.on === undefined || fault.on === kind)
      return index === -1 ? undefined : faults.splice(index, 1)[0]
    },
  }
}

/** `headers` with the fault's `Retry-After`, if it scripted one. */
export const retryHeaders = (fault: Fault, headers: Record<string, string>) =>
  fault.retryAfter === undefined ? headers : { ...headers, 'retry-after': String(fault.retryAfter) }

/** A fault's failing answer: its `body`, or HoneyHive's error shape for `status`. */
export const scriptedFault = (fault: Fault, status: number, headers: Record<string, string>) =>
  json(status, fault.body ?? { statusCode: status, message: `Scripted fault ${status}`, success: false }, headers)
