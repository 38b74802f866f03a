import { describe, expect, test } from 'vitest'
import { createQueue, type Entry } from '../src/queue.js'

let seq = 0
const entry = (bytes = 10): Entry => ({ id: `e${++seq}`, json: '{}', bytes, truncated: false, seq })
const ids = (entries: Entry[]) => entries.map((each) => each.id)

describe('the queue', () => {
  test('takes the oldest first, by count and by bytes, and keeps the rest in order through many takes', () => {
    const queue = createQueue(10_000)
    const all = Array.from({ length: 1000 }, () => entry())
    for (const each of all) queue.push(each)
    const taken: Entry[] = []
    while (queue.size > 0) {
      const batch = queue.take(7, 40) // 10 B each plus a comma: 3 fit in 40 B
      expect(batch.length).toBe(Math.min(3, batch.length + queue.size))
      expect(queue.headSeq).toBe(queue.size > 0 ? batch.at(-1)!.seq + 1 : Infinity)
      taken.push(...batch)
    }
    expect(ids(taken)).toEqual(ids(all))
  })

  test("never puts another page's claimed entries and this page's own in one batch", () => {
    const queue = createQueue(100)
    const claimed = [entry(), entry()].map((each) => ({ ...each, claimed: true }))
    const own = [entry(), entry()]
    queue.requeue(claimed)
    for (const each of own) queue.push(each)
    expect(ids(queue.take(10, 1000))).toEqual(ids(claimed))
    expect(ids(queue.take(10, 1000))).toEqual(ids(own))
  })

  test('always takes one entry, even one larger than the byte limit', () => {
    const queue = createQueue(10)
    const big = entry(500)
    queue.push(big)
    queue.push(entry())
    expect(ids(queue.take(10, 100))).toEqual([big.id])
    expect(queue.size).toBe(1)
  })

  test('drops the oldest past maxSize, also after takes and requeues, and returns what it dropped', () => {
    const queue = createQueue(3)
    const [a, b, c, d, e] = Array.from({ length: 5 }, () => entry())
    expect(queue.push(a)).toEqual([])
    queue.push(b)
    queue.push(c)
    expect(ids(queue.push(d))).toEqual([a.id])
    const batch = queue.take(2, Infinity)
    expect(ids(batch)).toEqual([b.id, c.id])
    queue.push(e)
    // The failed batch goes back in front; the queue is over by one: the oldest (b) goes.
    expect(ids(queue.requeue(batch))).toEqual([b.id])
    expect(ids(queue.entries)).toEqual([c.id, d.id, e.id])
    expect(ids(queue.takeAll())).toEqual([c.id, d.id, e.id])
    expect(queue.size).toBe(0)
    expect(queue.headSeq).toBe(Infinity)
  })

  test('entries are the live waiting entries, oldest first, after takes', () => {
    const queue = createQueue(100)
    const all = Array.from({ length: 10 }, () => entry())
    for (const each of all) queue.push(each)
    queue.take(4, Infinity)
    expect(ids(queue.entries)).toEqual(ids(all.slice(4)))
    queue.entries[0].json = '{"changed":true}'
    expect(queue.take(1, Infinity)[0].json).toBe('{"changed":true}')
  })
})
