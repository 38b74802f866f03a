import { HttpError, type HoneyHiveError } from './errors.js'
import { consumerPolicy, ruleFor, type Answer, type Rule } from './policy.js'
import { answerOf } from './transport.js'

// How the Queues consumer reads its table in policy.ts (issue 23) for the events of one request: only
// HoneyHive's own refusals settle a message (its JSON 400/422 for an event, a 413 for one event); every
// other answer says nothing about the events and is retried within the queue's budget, reported with the
// rule's reason so that the operator can fix the misconfiguration.

/** What the consumer does with the events an upstream request did not deliver. */
export type ConsumerAction =
  /** Refused for good by HoneyHive: acked and reported (a retry would be refused again). */
  | 'refuse'
  /** Halved and each half sent (413: too big; 400/422: find the refused events). */
  | 'split'
  /** Sent in halves to isolate the one event HoneyHive keeps failing on (repeated 5xx on merged events). */
  | 'bisect'
  /** Left in the queue for redelivery (until given up after too many sends that may have stored them). */
  | 'retry'

/** The consumer's decision, with what to tell the operator when the answer points at a misconfiguration. */
export interface ConsumerVerdict {
  action: ConsumerAction
  /** The rule applied (its `mayHaveStored` says whether the attempt counts toward the bound on copies). */
  rule: Rule
  /** Appended to the reported error's message. */
  hint?: string
}

/** Sends of an event (that may have stored it), or deliveries of its message, from which an `isolate` failure is bisected. */
export const bisectAfterSends = 2
const passingStatuses = [408, 429, 500, 502, 503, 504]
const retried = 'the messages stay in the queue and are retried'
// A 400/422 that is not JSON comes from a proxy or WAF, not HoneyHive (whose errors are
// { statusCode, message, success, errorCode }): it says nothing about the events.
const foreign: Rule = {
  action: 'retry',
  why: "a refusal that is not HoneyHive's JSON (a proxy's or WAF's page) says nothing about the events",
}

/**
 * Decides what an upstream failure means for `count` undelivered events that were sent `sends` times at
 * most (or whose messages were delivered that often). Pure: tested as a table, without a server.
 */
export function judgeConsumerFailure(error: HoneyHiveError, count: number, sends: number): ConsumerVerdict {
  const answer: Answer = answerOf(error)
  const json = error instanceof HttpError && typeof error.body === 'object' && error.body !== null
  let rule = ruleFor(consumerPolicy, answer)
  if (answer.kind === 'status' && rule.action === 'bisect' && !json) rule = foreign
  const { action } = rule
  if (action === 'split' || action === 'bisect') return { action: count > 1 ? 'split' : 'refuse', rule }
  if (action === 'refuse') return { action, rule }
  if (rule.isolate && count > 1 && sends >= bisectAfterSends) return { action: 'bisect', rule }
  // Passing faults (no answer, 408, 429, 503, 5xx of ours) need no advice; any other answer points at the configuration.
  const status = answer.kind === 'status' ? answer.status : 0
  const passing = answer.kind === 'network' || answer.kind === 'timeout' || passingStatuses.includes(status)
  const hint = passing ? undefined : `${rule.why}: check \`baseUrl\` (HH_BASE_URL), \`route\` and the key; ${retried}`
  return { action: 'retry', rule, hint }
}
