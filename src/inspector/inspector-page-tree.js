// A session as HoneyHive's tree (field notes §12): each event under its `parent_id` (an event without one,
// or with the session's id, hangs under the session), siblings by start time; a chain spans its children.

const startOf = (event) => event.start ?? event.received
const endOf = (event) => Math.max(event.end ?? startOf(event), startOf(event))

/**
 * The rows of a session's timeline in tree order: `{ event, depth, span: [start, end], orphan }`, where `span`
 * covers the event and all its descendants (a chain that ended before a child, or has no times, still spans
 * it) and `orphan` marks an event whose parent never arrived (shown under the session).
 */
export function treeRows(events, sessionId) {
  const byId = new Map(events.map((event) => [event.event_id, event]))
  const children = new Map()
  const roots = []
  const orphans = new Set()
  for (const event of events) {
    const parent = event.parent_id
    const attached = parent !== undefined && parent !== sessionId && parent !== event.event_id && byId.has(parent)
    if (attached) {
      if (!children.has(parent)) children.set(parent, [])
      children.get(parent).push(event)
    } else {
      if (parent !== undefined && parent !== sessionId && parent !== event.event_id) orphans.add(event.event_id)
      roots.push(event)
    }
  }
  const byStart = (a, b) => startOf(a) - startOf(b)
  const spans = new Map()
  // Spans bottom-up, without recursion (a deep tree from a loop must not overflow the page's stack).
  const order = []
  const seen = new Set()
  const stack = roots
    .slice()
    .sort(byStart)
    .reverse()
    .map((event) => ({ event, depth: 0 }))
  while (stack.length > 0) {
    const { event, depth } = stack.pop()
    if (seen.has(event.event_id)) continue
    seen.add(event.event_id)
    order.push({ event, depth, orphan: orphans.has(event.event_id) })
    const kids = (children.get(event.event_id) ?? []).slice().sort(byStart)
    for (let index = kids.length - 1; index >= 0; index--) stack.push({ event: kids[index], depth: depth + 1 })
  }
  // Events in a cycle of parents reach no root: shown at the top level rather than lost.
  for (const event of events.slice().sort(byStart))
    if (!seen.has(event.event_id)) order.push({ event, depth: 0, orphan: true })
  for (let index = order.length - 1; index >= 0; index--) {
    const { event } = order[index]
    let [start, end] = [startOf(event), endOf(event)]
    for (const kid of children.get(event.event_id) ?? []) {
      const span = spans.get(kid.event_id)
      if (!span) continue
      start = Math.min(start, span[0])
      end = Math.max(end, span[1])
    }
    spans.set(event.event_id, [start, end])
  }
  return order.map((row) => ({ ...row, span: spans.get(row.event.event_id) }))
}
