import { HttpError, InvalidResponseError, TimeoutError, type HoneyHiveError } from './errors.js'

// The failure policy as data (issue 20): what each answer means for the request that got it, for each
// caller that sends (the client's queue, the relay's Queues consumer, a page being hidden). Pure: no I/O,
// no clock. The engines read it; test/policy.test.ts checks every row without a server.

/** What happened to one attempt, as the policy sees it. */
export type Answer =
  | { kind: 'status'; status: number }
  /** No answer within the attempt's limit: the server may have stored the events anyway. */
  | { kind: 'timeout' }
  /** No answer at all: refused connection, DNS, reset. Nothing was stored. */
  | { kind: 'network' }
  /** A 2xx that is not HoneyHive's JSON answer (a login or maintenance page, a captive portal). */
  | { kind: 'invalid' }

/** What to do with the events of a request that got an answer. */
export type Action =
  /** Send them again: after the backoff, or the server's Retry-After. */
  | 'retry'
  /** Too large: split the request in halves; a single event that is still too large is refused. */
  | 'split'
  /** Some event is refused: bisect to find it; the others go. A single event is refused. */
  | 'bisect'
  /** Refused for good: report, never send again. */
  | 'refuse'

/** One row of a table: the action and why, and what else the answer says. */
export interface Rule {
  action: Action
  /** The attempt may have stored the events: it counts toward the `maxSends` bound on copies. */
  mayHaveStored?: boolean
  /** After the retries of a round, a request of several events that failed again is bisected (one bad event must not hold the others). */
  isolate?: boolean
  /** Only for event updates: the event may not be stored yet (HoneyHive stores asynchronously), retried for a bounded time. */
  notYet?: boolean
  /** Why: what the answer says about the request, in a sentence a maintainer can check. */
  why: string
}

/** A caller's whole policy: rules by status, by kind of answer, the defaults for the rest, and its backoff. */
export interface Policy {
  statuses: Record<number, Rule>
  timeout: Rule
  network: Rule
  invalid: Rule
  /** Statuses not listed, by class: 3xx, 4xx, 5xx. */
  otherRedirect: Rule
  otherClient: Rule
  otherServer: Rule
  /** Waits between rounds: `firstMs * 2^(round-1)` up to `maxMs`, with full jitter when `jitter`. */
  backoff: { firstMs: number; maxMs: number; jitter: boolean }
}

const retry = (why: string, extra?: Partial<Rule>): Rule => ({ action: 'retry', why, ...extra })
const stored = (why: string): Rule => retry(why, { mayHaveStored: true, isolate: true })
const refuse = (why: string): Rule => ({ action: 'refuse', why })

/** The rows every caller shares; each caller's table changes what it must, and says why. */
const common: Omit<Policy, 'backoff'> = {
  statuses: {
    408: retry('the server timed out reading the request: nothing was processed'),
    413: { action: 'split', why: 'the body is over a size limit (HoneyHive, a relay, a proxy): smaller requests go' },
    429: retry('rate limited: the whole queue waits for Retry-After'),
    500: stored('HoneyHive may have created some events ("partially created"); one bad event can cause it every time'),
    502: stored('a gateway lost the answer: the events may have been stored'),
    503: retry('unavailable: nothing was processed'),
    504: stored('a gateway timed out: the events may have been stored'),
  },
  timeout: retry('no answer in time: the server may have stored the events, and is given longer next time', {
    mayHaveStored: true,
  }),
  network: retry('no connection: nothing reached the server'),
  invalid: retry("a 2xx that is not HoneyHive's answer (a login or maintenance page) says nothing about the events", {
    mayHaveStored: true,
  }),
  otherRedirect: retry("a redirect is not HoneyHive's answer: the base URL points elsewhere"),
  otherClient: refuse('HoneyHive refused the request: sending it again would be refused again'),
  otherServer: refuse('a server error HoneyHive does not send for a passing fault'),
}

/**
 * The client's queue: validated events, so a 400 is about the batch as a whole and is refused; a 404 is a
 * rejected key or a wrong route (HoneyHive answers 404 for a rejected key since 2026-09-22), refused and
 * reported with that hint; an outage backs off 1 s, 2 s, 4 s ... up to a minute.
 */
export const clientPolicy: Policy = {
  ...common,
  backoff: { firstMs: 1000, maxMs: 60_000, jitter: false },
}

/**
 * Event updates (feedback) from the client: as the client's queue, except that 404 means the event is not
 * stored yet (HoneyHive stores events asynchronously), retried for a bounded time (`updateNotFoundMs`).
 */
export const updatePolicy: Policy = {
  ...clientPolicy,
  statuses: {
    ...clientPolicy.statuses,
    404: retry('the event is not stored yet: HoneyHive stores events asynchronously', { notYet: true }),
  },
}

/**
 * The relay's Queues consumer: it must never ack what HoneyHive did not take or refuse itself. 400/422 are
 * bisected (pages' events come from many clients: one page's bad event must not take the others down);
 * 401/403/404 and any answer that is not HoneyHive's (3xx, 405, a 2xx page) say the relay is misconfigured,
 * so they are retried within the queue's retry budget, as is any status HoneyHive does not give for a batch;
 * waits are 5 s doubling up to an hour.
 */
export const consumerPolicy: Policy = {
  ...common,
  statuses: {
    ...common.statuses,
    400: { action: 'bisect', why: 'HoneyHive refused some event of the request: find it, deliver the others' },
    422: { action: 'bisect', why: 'HoneyHive refused some event of the request: find it, deliver the others' },
    401: retry('the key is rejected: a misconfiguration, never a verdict on the events'),
    403: retry('the key is not allowed: a misconfiguration, never a verdict on the events'),
    404: retry('a rejected key (HoneyHive answers 404 since 2026-09-22) or a wrong base URL: a misconfiguration'),
    405: retry('the method is not allowed: the base URL has a wrong path'),
  },
  // Issue 23: only HoneyHive's own refusals may settle a message; a status HoneyHive does not give for a
  // batch, or a 2xx page, says nothing about the events (and stored none of them: not counted toward maxSends).
  invalid: retry("a 2xx that is not HoneyHive's answer (a login or maintenance page) says nothing about the events"),
  otherClient: retry(
    'a client error HoneyHive does not give for a batch: the base URL or a proxy answered, not HoneyHive',
  ),
  otherServer: retry(
    'a server error HoneyHive does not give for a batch: the base URL or a proxy answered, not HoneyHive',
  ),
  backoff: { firstMs: 5000, maxMs: 3_600_000, jitter: false },
}

/**
 * A page being hidden sees no answers (`sendBeacon` only says whether the browser took the body): a
 * refused beacon is split in half, and what still cannot go is stored for the next page.
 */
export const pageHidePolicy = { refusedBeacon: 'split' as Action, unsent: 'store' as const }

/** The rule of `policy` for `answer`. */
export function ruleFor(policy: Policy, answer: Answer): Rule {
  if (answer.kind !== 'status') return policy[answer.kind]
  const { status } = answer
  return (
    policy.statuses[status] ??
    (status < 400 ? policy.otherRedirect : status < 500 ? policy.otherClient : policy.otherServer)
  )
}

/** The wait before round `round` (1 for the first retry) of `policy`, given a random number in [0, 1). */
export function backoffMs(policy: Policy, round: number, random = 0.5): number {
  const { firstMs, maxMs, jitter } = policy.backoff
  const ms = Math.min(firstMs * 2 ** Math.max(0, round - 1), maxMs)
  return jitter ? Math.round(ms * random) : ms
}

/** The statuses a caller retries within one request (for the transport's retry loop). */
export const retriedStatuses = (policy: Policy): number[] =>
  Object.entries(policy.statuses)
    .filter(([, rule]) => rule.action === 'retry')
    .map(([status]) => Number(status))

/** An error as the policy reads it. */
export const answerOf = (error: HoneyHiveError): Answer =>
  error instanceof HttpError
    ? ({ kind: 'status', status: error.status } as const)
    : error instanceof TimeoutError
      ? ({ kind: 'timeout' } as const)
      : error instanceof InvalidResponseError
        ? ({ kind: 'invalid' } as const)
        : ({ kind: 'network' } as const)
