import { describe, expect, test } from 'vitest'
import { createScheduler, type Clock } from '../src/scheduler.js'
import { createDelivery } from '../src/delivery.js'
import { resolveOptions } from '../src/options.js'
import { createSession } from '../src/session.js'
import { encodeEvent } from '../src/encode.js'

/** A clock that moves only when told: timers fire in order as `advance` passes them. */
function fakeClock() {
  let now = 1_000_000
  let nextId = 0
  const timers = new Map<number, { at: number; run: () => void }>()
  const clock: Clock = {
    now: () => now,
    setTimeout(run, ms) {
      timers.set(++nextId, { at: now + Math.max(0, ms), run })
      return nextId
    },
    clearTimeout: (id) => void timers.delete(id as number),
  }
  async function advance(ms: number) {
    const end = now + ms
    for (;;) {
      const due = [...timers.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      timers.delete(due[0])
      now = due[1].at
      due[1].run()
      // Let the promise chains a timer starts run before the next timer.
      for (let i = 0; i < 20; i++) await Promise.resolve()
    }
    now = end
  }
  return { clock, advance, pending: () => timers.size }
}

describe('the scheduler, on a fake clock', () => {
  test('fires once, after the delay; a later schedule for sooner moves it forward, one for later does not', async () => {
    const { clock, advance } = fakeClock()
    const fired: number[] = []
    const scheduler = createScheduler(clock, () => fired.push(clock.now()))
    const start = clock.now()
    scheduler.schedule(2000)
    scheduler.schedule(5000)
    await advance(1999)
    expect(fired).toEqual([])
    scheduler.schedule(500)
    await advance(10_000)
    expect(fired).toEqual([start + 2000])
    scheduler.schedule(2000)
    scheduler.schedule(500)
    await advance(10_000)
    expect(fired).toEqual([start + 2000, start + 11_999 + 500])
  })

  test('a timer that never fired (a Worker whose request ended) is replaced once it is a second overdue', async () => {
    const { clock, advance } = fakeClock()
    const fired: number[] = []
    // This clock loses every timer set before `lose` is cleared, as a runtime that drops a finished request's timers.
    let lose = true
    const lossy: Clock = {
      ...clock,
      setTimeout(run, ms) {
        const lost = lose
        return clock.setTimeout(() => lost || run(), ms)
      },
    }
    const scheduler = createScheduler(lossy, () => fired.push(clock.now()))
    scheduler.schedule(2000)
    lose = false
    await advance(2500)
    expect(fired).toEqual([])
    // Half a second overdue: a busy loop may still run it; no second timer.
    scheduler.schedule(0)
    await advance(100)
    expect(fired).toEqual([])
    await advance(600)
    const now = clock.now()
    scheduler.schedule(0)
    await advance(1)
    expect(fired).toEqual([now])
  })

  test('a pause holds background sends until it ends; a forced send waits only for the server’s pause', async () => {
    const { clock, advance } = fakeClock()
    const scheduler = createScheduler(clock, () => {})
    scheduler.backOff(4000)
    expect(scheduler.waitMs(false)).toBe(4000)
    expect(scheduler.waitMs(true)).toBe(0)
    scheduler.pauseForServer(1000)
    expect(scheduler.waitMs(true)).toBe(1000)
    await advance(1500)
    expect(scheduler.waitMs(true)).toBe(0)
    expect(scheduler.waitMs(false)).toBe(2500)
    scheduler.recover()
    expect(scheduler.waitMs(false)).toBe(0)
  })

  test('a schedule during a pause fires when the pause ends, not a flush interval later', async () => {
    const { clock, advance } = fakeClock()
    const fired: number[] = []
    const scheduler = createScheduler(clock, () => fired.push(clock.now()))
    const start = clock.now()
    scheduler.backOff(3000)
    scheduler.schedule(60_000)
    await advance(60_000)
    expect(fired).toEqual([start + 60_000])
    scheduler.backOff(3000)
    scheduler.schedule(0)
    await advance(10_000)
    expect(fired[1]).toBe(start + 60_000 + 3000)
  })

  test('sleep ends at its time or at once on abort; within resolves at the deadline or when the work settles', async () => {
    const { clock, advance } = fakeClock()
    const scheduler = createScheduler(clock, () => {})
    const order: string[] = []
    const controller = new AbortController()
    void scheduler.sleep(1000).then(() => order.push('slept'))
    void scheduler.sleep(60_000, controller.signal).then(() => order.push('aborted'))
    void scheduler.within(2000, new Promise(() => {})).then(() => order.push('deadline'))
    await advance(1000)
    controller.abort()
    await Promise.resolve()
    await advance(1000)
    expect(order).toEqual(['slept', 'aborted', 'deadline'])
  })
})

describe('the delivery engine on a fake clock', () => {
  test('sends within flushIntervalMs of the oldest event and backs off 1 s, 2 s, 4 s while the server is down, then recovers', async () => {
    const { clock, advance } = fakeClock()
    const sent: number[] = []
    let up = false
    const fetch = async () => {
      sent.push(clock.now())
      return up ? Response.json({ event_ids: [], success: true }) : new Response('{}', { status: 503 })
    }
    const options = resolveOptions({ baseUrl: 'http://127.0.0.1:9', fetch, maxRetries: 0, flushIntervalMs: 2000 })
    const delivery = createDelivery({
      options,
      session: createSession(options),
      report: () => {},
      debug: () => {},
      clock,
    })
    const start = clock.now()
    delivery.enqueue(encodeEvent({ event_id: crypto.randomUUID(), model: 'gpt-4o' }, Infinity))
    await advance(1999)
    expect(sent).toEqual([])
    await advance(1)
    await advance(7000)
    expect(sent.map((at) => at - start)).toEqual([2000, 3000, 5000, 9000])
    up = true
    await advance(8000)
    expect(sent.map((at) => at - start)).toEqual([2000, 3000, 5000, 9000, 17_000])
    expect(delivery.stats()).toMatchObject({ queued: 0, sent: 1 })
    delivery.stop()
  })
})
