import type { Fault } from '../../src/testing.js'

// The control API of the loopback fake HoneyHive (test/workers/upstream.ts), read from inside the runtime
// under test: what it stored and received, and the faults it answers next.

/** One request the fake received, as `/__received` lists it. */
export interface Received {
  method: string
  path: string
  headers: Record<string, string>
  status: number
  body: unknown
}

/** Scenario helpers bound to one upstream. Each scenario looks only at its own event ids. */
export function upstreamOf(url: string) {
  const received = async (): Promise<{ events: Array<Record<string, unknown>>; requests: Received[] }> =>
    (await fetch(`${url}/__received`)).json()
  return {
    /** Scripts the next answers of the batch route, one per valid request. */
    async script(...faults: Fault[]): Promise<void> {
      const response = await fetch(`${url}/__fail`, { method: 'POST', body: JSON.stringify(faults) })
      await response.body?.cancel()
    },
    /** The stored events with one of these ids, in arrival order (a copy per delivery). */
    async eventsWith(ids: string[]): Promise<Array<Record<string, unknown>>> {
      return (await received()).events.filter((event) => ids.includes(String(event.event_id)))
    },
    /** The POSTs whose body mentions `id`, in arrival order. */
    async postsWith(id: string): Promise<Received[]> {
      return (await received()).requests.filter(
        (request) => request.method === 'POST' && JSON.stringify(request.body).includes(id),
      )
    },
  }
}
