import { HoneyHiveError, HttpError, NetworkError, TimeoutError } from './errors.js'
import { answerOf, clientPolicy, retriedStatuses, ruleFor } from './policy.js'
import type { TransportOptions } from './transport.js'

// One request and its retries over fetch (issue 20: our own loop, in place of ky's): attempts bounded in
// time with their bodies, Retry-After honoured, typed errors out. The only place that calls fetch.

/** Retry-After (seconds or an HTTP date, which has letters: `Date.parse` would also read '1.5' as a date), in ms. */
function retryAfter(response: Response): number | undefined {
  const after = response.headers.get('retry-after') ?? ''
  const wait = /^\d+$/.test(after) ? Number(after) * 1000 : /[a-z]/i.test(after) ? Date.parse(after) - Date.now() : NaN
  return Number.isNaN(wait) ? undefined : Math.max(0, wait)
}

/** Per call: whether the request may use `keepalive` (a page's budget, unload.ts), and what aborts it. */
export interface SendInit {
  keepalive?: boolean
  /** Aborts the request in flight and any wait between attempts. @default options.signal */
  signal?: AbortSignal
}

/** Resolves after `ms`, or at once when `signal` aborts. */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done)
  })

/**
 * One attempt: the response and its text, both within the attempt's limit (a 2xx whose body stalls is a
 * timeout, not a hang), whether or not the fetch in use honours its signal while a body is read (happy-dom
 * does not). Rejects with `TimeoutError` or `NetworkError` (an abort of ours included).
 */
async function attempt(
  url: string,
  init: (signal: AbortSignal) => RequestInit,
  options: TransportOptions,
  ids: string[],
  ms: number,
  signal?: AbortSignal,
) {
  const controller = new AbortController()
  let stop!: (error: HoneyHiveError) => void
  // Rejected before the abort: a browser's fetch rejects at once on abort, and its AbortError must not win the race.
  const cut = new Promise<never>((_, reject) => {
    stop = (error) => {
      reject(error)
      controller.abort()
    }
  })
  cut.catch(() => {})
  const onAbort = () => stop(new NetworkError(ids, { name: 'AbortError', message: 'aborted: the deadline passed' }))
  signal?.addEventListener('abort', onAbort)
  const timer = setTimeout(
    () => stop(new TimeoutError(ids, { name: 'TimeoutError', message: `No answer within ${ms} ms` })),
    ms,
  )
  try {
    if (signal?.aborted) onAbort()
    // A caller's fetch gets a whole Request (it may forward only its first argument, as a service binding
    // does); the runtime's gets the URL and init: undici proxies the body of a Request it is handed, ~15 %
    // of a request's CPU (issue 20).
    const given = init(controller.signal)
    const sent = options.fetch ? options.fetch(new Request(url, given)) : fetch(url, given)
    const response = await Promise.race([sent, cut])
    return { response, text: await Promise.race([response.text(), cut]) }
  } catch (error) {
    // Anything without an answer (Workers' "Network connection lost.", Bun's ECONNREFUSED, a DNS failure).
    if (error instanceof HoneyHiveError) throw error
    const { name, message } = (error ?? {}) as { name?: string; message?: string }
    throw new NetworkError(ids, { name, message })
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * Sends one request, retrying network errors, timeouts and the statuses `policy` retries, up to
 * `maxRetries` times: after the server's `Retry-After` (capped at `maxRetryAfterMs`), else 0.3 s, 0.6 s,
 * 1.2 s ... (at most 30 s) with full jitter. `body()` is asked for each attempt (a partial 500 leaves fewer
 * events to send); `done(error)` sees each failure first and answers true when nothing is left to send.
 * Resolves the answer's text; rejects with our errors. The only place that calls `fetch`.
 */
export async function request(
  method: string,
  url: string,
  body: () => string,
  ids: () => string[],
  options: TransportOptions,
  init: SendInit,
  done: (error: HoneyHiveError) => boolean,
  counted: (failure: HoneyHiveError) => void,
): Promise<string> {
  const policy = options.policy ?? clientPolicy
  const limit = (options.limit ??= { ms: options.timeoutMs })
  const signal = init.signal ?? options.signal
  const headers = {
    'content-type': 'application/json',
    ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }),
  }
  for (let retries = 0; ; retries++) {
    let failure: HoneyHiveError
    try {
      const make = (abort: AbortSignal): RequestInit => ({
        method: method.toUpperCase(),
        headers,
        body: body(),
        signal: abort,
        ...(init.keepalive && { keepalive: true }),
      })
      const { response, text } = await attempt(url, make, options, ids(), limit.ms, signal)
      if (response.ok) return text
      const cause = { name: 'HTTPError', message: `${response.status} ${response.statusText}`.trim() }
      failure = new HttpError(response.status, parse(text), ids(), retryAfter(response), cause)
    } catch (error) {
      failure = error as HoneyHiveError
    }
    if (done(failure)) return '{"event_ids":[],"success":true}'
    const rule = ruleFor(policy, answerOf(failure))
    if (rule.mayHaveStored) counted(failure)
    // A server slower than the limit stored what timed out: give it the time it takes instead of copies.
    if (failure instanceof TimeoutError) limit.ms = Math.min(limit.ms * 2, options.maxTimeoutMs)
    const status = (failure as HttpError).status
    const again = rule.action === 'retry' && (!status || retriedStatuses(policy).includes(status))
    if (!again || retries >= options.maxRetries || signal?.aborted) throw failure
    options.onRetry?.(retries + 1, failure)
    const asked = (failure as HttpError).retryAfterMs
    await sleep(
      asked === undefined
        ? Math.random() * Math.min(300 * 2 ** retries, 30_000)
        : Math.min(asked, options.maxRetryAfterMs),
      signal,
    )
    if (signal?.aborted) throw failure
  }
}

/** The answer's JSON, or the text itself when it is not JSON. */
export const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
