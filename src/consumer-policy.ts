import { HttpError, InvalidResponseError, type HoneyHiveError } from './errors.js'
import { retryStatuses } from './transport.js'

// The Queues consumer's failure policy as data (issue 23): what an upstream answer means for the events of
// one request. Only HoneyHive's own refusals settle a message: its JSON 400/422 for an event, a 413 for one
// event. Every other answer says nothing about the events (a login page, a redirect, a wrong path) and is
// retried within the queue's retry budget, reported with what to fix.

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
  /** Appended to the reported error's message. */
  hint?: string
}

/** Sends of an event (that may have stored it) after which a merged request's 5xx is bisected. */
export const bisectAfterSends = 2
// A 500, or a gateway's 502/504, may come from one event HoneyHive fails on; 503 says it is away.
const eventFaults = [500, 502, 504]
const checkBase = 'check `baseUrl` (HH_BASE_URL: HoneyHive\'s origin, with no path of its own) and `route`'
const retried = 'the messages stay in the queue and are retried'

/**
 * Decides what an upstream failure means for `count` undelivered events that were sent `sends` times at
 * most (attempts that may have stored them). Pure: a table of answers, tested without a server.
 */
export function judgeConsumerFailure(error: HoneyHiveError, count: number, sends: number): ConsumerVerdict {
  if (error instanceof InvalidResponseError) {
    return { action: 'retry', hint: `the upstream answered 2xx with a body that is not HoneyHive's (a login or maintenance page?): ${checkBase}; ${retried}` }
  }
  // Network errors and timeouts: nothing was refused.
  if (!(error instanceof HttpError)) return { action: 'retry' }
  const { status, body } = error
  // HoneyHive's errors are JSON ({ statusCode, message, success, errorCode }); a proxy's or WAF's page is not.
  const fromHoneyHive = typeof body === 'object' && body !== null
  if (status === 413) return { action: count > 1 ? 'split' : 'refuse' }
  if ((status === 400 || status === 422) && fromHoneyHive) return { action: count > 1 ? 'split' : 'refuse' }
  if (eventFaults.includes(status) && count > 1 && sends >= bisectAfterSends) return { action: 'bisect' }
  if (retryStatuses.includes(status)) return { action: 'retry' }
  // HoneyHive answers a rejected key with 404 since 2026-09-22 (the error's message says so): a rotated key
  // must never ack a backlog away.
  if (status === 404) return { action: 'retry', hint: retried }
  if (status === 401 || status === 403) return { action: 'retry', hint: `check the API key (HH_API_KEY); ${retried}` }
  if (status >= 300 && status < 400) {
    return { action: 'retry', hint: `a redirect, which the relay does not follow so that the key goes nowhere else: ${checkBase}; ${retried}` }
  }
  if (status === 405) return { action: 'retry', hint: `that URL takes no POST, so it is not HoneyHive's batch route: ${checkBase}; ${retried}` }
  return { action: 'retry', hint: `not one of HoneyHive's answers to a batch: ${checkBase}; ${retried}` }
}
