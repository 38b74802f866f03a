import { describe, expect, test } from 'vitest'
import {
  backoffMs,
  clientPolicy,
  consumerPolicy,
  retriedStatuses,
  ruleFor,
  updatePolicy,
  type Answer,
  type Policy,
} from '../src/policy.js'

const status = (code: number): Answer => ({ kind: 'status', status: code })
type Row = [answer: Answer, client: string, update: string, consumer: string]

// Every row of every table, side by side: the deliberate differences stand out.
// `retry*` = retried and counted toward maxSends (the server may have stored it); `retry+isolate` = also bisected when a round fails.
const rows: Row[] = [
  [status(301), 'retry', 'retry', 'retry'],
  [status(400), 'refuse', 'refuse', 'bisect'],
  [status(401), 'refuse', 'refuse', 'retry'],
  [status(403), 'refuse', 'refuse', 'retry'],
  [status(404), 'refuse', 'retry notYet', 'retry'],
  [status(405), 'refuse', 'refuse', 'retry'],
  [status(408), 'retry', 'retry', 'retry'],
  [status(409), 'refuse', 'refuse', 'retry'],
  [status(413), 'split', 'split', 'split'],
  [status(422), 'refuse', 'refuse', 'bisect'],
  [status(429), 'retry', 'retry', 'retry'],
  [status(500), 'retry* isolate', 'retry* isolate', 'retry* isolate'],
  [status(501), 'refuse', 'refuse', 'retry'],
  [status(502), 'retry* isolate', 'retry* isolate', 'retry* isolate'],
  [status(503), 'retry', 'retry', 'retry'],
  [status(504), 'retry* isolate', 'retry* isolate', 'retry* isolate'],
  [{ kind: 'timeout' }, 'retry*', 'retry*', 'retry*'],
  [{ kind: 'network' }, 'retry', 'retry', 'retry'],
  [{ kind: 'invalid' }, 'retry*', 'retry*', 'retry'],
]

const describeRule = (policy: Policy, answer: Answer): string => {
  const rule = ruleFor(policy, answer)
  return [rule.action + (rule.mayHaveStored ? '*' : ''), rule.isolate && 'isolate', rule.notYet && 'notYet']
    .filter(Boolean)
    .join(' ')
}

describe('the failure policy, as data', () => {
  test.each(rows)('%j: client %s, event update %s, relay consumer %s', (answer, client, update, consumer) => {
    expect(describeRule(clientPolicy, answer)).toBe(client)
    expect(describeRule(updatePolicy, answer)).toBe(update)
    expect(describeRule(consumerPolicy, answer)).toBe(consumer)
  })

  test('every rule says why', () => {
    for (const policy of [clientPolicy, updatePolicy, consumerPolicy]) {
      for (const row of rows) expect(ruleFor(policy, row[0]).why.length).toBeGreaterThan(20)
    }
  })

  test('the statuses retried within one request are those whose rule is retry, 413 never among them', () => {
    expect(retriedStatuses(clientPolicy)).toEqual([408, 429, 500, 502, 503, 504])
    expect(retriedStatuses(updatePolicy)).toEqual([404, 408, 429, 500, 502, 503, 504])
    expect(retriedStatuses(consumerPolicy)).not.toContain(413)
  })

  test('backoff doubles from the first wait to the cap; jitter scales it by the random number given', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map((round) => backoffMs(clientPolicy, round))).toEqual([
      1000, 2000, 4000, 8000, 60_000, 60_000, 60_000,
    ])
    expect([1, 2, 11, 12].map((round) => backoffMs(consumerPolicy, round))).toEqual([
      5000, 10_000, 3_600_000, 3_600_000,
    ])
    const jittered: Policy = { ...clientPolicy, backoff: { ...clientPolicy.backoff, jitter: true } }
    expect(backoffMs(jittered, 3, 0.25)).toBe(1000)
    expect(backoffMs(jittered, 3, 0)).toBe(0)
  })
})
