// Server-sent events to the open pages: a snapshot when a page connects (a reload shows everything kept),
// then one message per change.

const encoder = new TextEncoder()
const frame = (event: string, data: unknown) => encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
// A page that stops reading (a frozen tab) is let go past this many queued bytes (a count of messages would
// not bound them: one change can carry thousands of events); EventSource reconnects and gets a fresh
// snapshot, so its memory here stays bounded.
export const backlogBytes = 16 * 1024 * 1024
const heartbeatMs = 15_000

/** The open pages' streams. */
export function createLive() {
  // Each open page and how many queued bytes it may hold: the backlog, plus its snapshot, which a large
  // state (tens of MB) takes a while to send.
  const streams = new Map<ReadableStreamDefaultController<Uint8Array>, number>()
  let heartbeat: ReturnType<typeof setInterval> | undefined
  const release = (stream: ReadableStreamDefaultController<Uint8Array>) => {
    streams.delete(stream)
    if (streams.size > 0) return
    clearInterval(heartbeat)
    heartbeat = undefined
  }
  const drop = (stream: ReadableStreamDefaultController<Uint8Array>) => {
    release(stream)
    try {
      stream.close()
    } catch {}
  }
  const write = (stream: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    if ((stream.desiredSize ?? 0) < -(streams.get(stream) ?? backlogBytes)) return drop(stream)
    try {
      stream.enqueue(bytes)
    } catch {
      drop(stream)
    }
  }
  return {
    /** A `text/event-stream` answer that starts with `snapshot()` and then carries every `send`. */
    open(snapshot: () => unknown): Response {
      let self: ReadableStreamDefaultController<Uint8Array>
      const body = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            self = controller
            const first = frame('snapshot', snapshot())
            streams.set(controller, backlogBytes + first.byteLength)
            controller.enqueue(encoder.encode('retry: 1000\n\n'))
            controller.enqueue(first)
            heartbeat ??= setInterval(
              () => streams.forEach((_, stream) => write(stream, encoder.encode(': ping\n\n'))),
              heartbeatMs,
            )
            heartbeat.unref?.()
          },
          cancel: () => release(self),
        },
        new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
      )
      return new Response(body, {
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        },
      })
    },
    send(event: string, data: unknown) {
      if (streams.size === 0) return
      const bytes = frame(event, data)
      for (const stream of [...streams.keys()]) write(stream, bytes)
    },
    /** How many pages are connected. */
    count: () => streams.size,
    close() {
      for (const stream of [...streams.keys()]) drop(stream)
    },
  }
}
