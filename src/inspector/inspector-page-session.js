// One session: its roll-up and its timeline (its tree of chain, model and tool events, a bar each).
import { duration, h, plural, thumbIcon } from './inspector-page-dom.js'
import { treeRows } from './inspector-page-tree.js'

/**
 * Where each moment goes on the timeline. Calls take milliseconds and the pauses between them (a person
 * reading, typing) seconds, so with `compress` every idle stretch longer than a quarter of the busy time is
 * drawn that long and marked with its real length; the bars keep their true lengths relative to each other.
 */
export function timeScale(events, compress) {
  const spans = events
    .map((event) => [
      event.start ?? event.received,
      Math.max(event.end ?? event.start ?? event.received, event.start ?? event.received),
    ])
    .sort((a, b) => a[0] - b[0])
  const busy = []
  for (const [start, end] of spans) {
    const last = busy.at(-1)
    if (last && start <= last[1]) last[1] = Math.max(last[1], end)
    else busy.push([start, end])
  }
  const busyMs = busy.reduce((sum, [start, end]) => sum + (end - start), 0)
  const cap = Math.max(busyMs / 4, 1)
  const pieces = []
  let x = 0
  busy.forEach(([start, end], index) => {
    if (index > 0) {
      const gap = start - busy[index - 1][1]
      const drawn = compress ? Math.min(gap, cap) : gap
      pieces.push({ gap, from: x, drawn, cut: drawn < gap, until: start })
      x += drawn
    }
    pieces.push({ start, end, from: x })
    x += end - start
  })
  const total = Math.max(x, 1)
  const first = busy[0]?.[0] ?? 0
  const segments = pieces.filter((piece) => piece.start !== undefined)
  return {
    total,
    first,
    /** The place of `ms` (a start or end of one of the events) from 0 to 100 (%). */
    at(ms) {
      const segment = segments.findLast((piece) => piece.start <= ms) ?? segments[0]
      return ((segment.from + Math.min(ms, segment.end) - segment.start) / total) * 100
    },
    /** The idle stretches drawn shorter: `{ gap, from, drawn, until }` (real length, drawn place and length, when it ended). */
    cuts: pieces.filter((piece) => piece.cut),
    /** The busy stretches, drawn at their true lengths: `{ start, end, from }`. */
    segments,
  }
}

// The widest axis label ("+12 m 05 s") and the room it needs, in px: labels are placed at least this far
// apart and never run past the end of the track, so they cannot overlap each other or the next column.
const labelPx = 76
// Round steps for the axis, in ms.
const ticks = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
  1_800_000, 3_600_000,
]

/** The axis of a track `trackPx` wide: round steps on a linear axis, the start of each burst on a shortened one. */
function axis(scale, trackPx) {
  const labels = []
  const fits = (at) => (at / 100) * trackPx <= trackPx - labelPx
  if (scale.cuts.length === 0) {
    const room = Math.max(1, Math.floor(trackPx / labelPx) - 1)
    const step =
      ticks.find((candidate) => scale.total / candidate <= room) ??
      3_600_000 * Math.ceil(scale.total / 3_600_000 / room)
    for (let ms = 0; ms <= scale.total; ms += step) {
      const at = (ms / scale.total) * 100
      if (ms > 0 && !fits(at)) break
      labels.push(h('span', { class: 'tick', style: { left: `${at}%` } }, ms === 0 ? '0' : duration(ms)))
    }
  } else {
    // A shortened axis: each burst of calls after a cut is labelled with when it began (the cuts say what
    // they leave out), and a long burst has round times inside it; a label too close to the one before it is
    // left out.
    const marks = [
      { at: 0, text: '0' },
      ...scale.cuts.map((cut) => ({
        at: ((cut.from + cut.drawn) / scale.total) * 100,
        text: `+${duration(cut.until - scale.first)}`,
      })),
    ]
    const msPerPx = scale.total / trackPx
    const step = ticks.find((candidate) => candidate / msPerPx >= labelPx * 1.5) ?? ticks.at(-1)
    for (const segment of scale.segments) {
      for (
        let ms = Math.ceil((segment.start - scale.first) / step) * step;
        ms < segment.end - scale.first;
        ms += step
      ) {
        const at = ((segment.from + ms - (segment.start - scale.first)) / scale.total) * 100
        if (ms > segment.start - scale.first) marks.push({ at, text: `+${duration(ms)}` })
      }
    }
    marks.sort((a, b) => a.at - b.at)
    let last = -Infinity
    for (const mark of marks) {
      if (((mark.at - last) / 100) * trackPx < labelPx || (mark.at > 0 && !fits(mark.at))) continue
      last = mark.at
      labels.push(h('span', { class: 'tick burst', style: { left: `${mark.at}%` } }, mark.text))
    }
  }
  return labels
}

const kinds = { model: 'model', tool: 'tool', chain: 'chain', session: 'session' }
const kindOf = (event) => kinds[event.event_type] ?? 'model'

function badgesOf(event, failed) {
  const kind = kindOf(event)
  return [
    kind === 'tool' && event.status === 'error'
      ? h('span', { class: 'badge tool-failed', title: event.error ?? 'The tool failed' }, '✕ tool failed')
      : undefined,
    event.feedback?.thumb
      ? h(
          'span',
          {
            class: `badge thumb ${event.feedback.thumb}`,
            title: [`feedback.rating: ${event.feedback.rating}`, event.feedback.comment].filter(Boolean).join('\n'),
          },
          thumbIcon(event.feedback.thumb),
          event.feedback.thumb,
        )
      : event.feedback
        ? h('span', { class: 'badge thumb', title: event.feedback.comment ?? '' }, 'feedback')
        : undefined,
    event.stored === 0
      ? h('span', { class: 'badge lost', title: 'No request stored it (yet)' }, 'not stored')
      : undefined,
    failed.length > 0 && event.stored > 0
      ? h(
          'span',
          {
            class: 'badge retry',
            title: failed
              .map(
                (attempt) =>
                  `#${attempt.request} ${attempt.status || 'dropped'}${attempt.fault ? ` (${attempt.fault})` : ''}`,
              )
              .join(', '),
          },
          `↻ ${failed.length}`,
        )
      : undefined,
    event.beacon ? h('span', { class: 'badge beacon', title: 'Stored from a text/plain beacon' }, 'beacon') : undefined,
    event.stored > 1
      ? h('span', { class: 'badge dup', title: `Stored ${event.stored} times` }, `dup ×${event.stored}`)
      : undefined,
  ]
}

function bar({ event, depth, span, orphan }, scale, selected, onOpen) {
  const kind = kindOf(event)
  const start = event.start ?? event.received
  const end = Math.max(event.end ?? start, start)
  // A chain is drawn over everything under it; its own times are in the tooltip.
  const [from, to] = kind === 'chain' ? span : [start, end]
  const failed = event.attempts.filter((attempt) => !attempt.stored)
  const title = [
    `${kind} · ${event.event_name ?? 'event'}${event.model ? ` · ${event.model}` : ''} · ${event.status}${event.finish_reason ? ` (${event.finish_reason})` : ''}`,
    `${duration(end - start)}${event.ttft !== undefined ? `, first token at ${duration(event.ttft)}` : ''}${event.tokens !== undefined ? `, ${event.tokens} tokens` : ''}`,
    event.preview && `“${event.preview}”`,
    orphan && `parent ${event.parent_id} not received: shown under the session`,
    event.error && `error: ${event.error}`,
  ]
  const left = scale.at(from)
  return h(
    'div',
    {
      class: `row kind-${kind}${selected ? ' selected' : ''}${event.status === 'error' ? ' failed' : ''}`,
      'data-event': event.event_id,
      'data-kind': kind,
      'data-depth': depth,
      'data-retries': failed.length,
      onclick: () => onOpen(event.event_id),
    },
    h(
      'div',
      {
        class: 'label',
        title: `${event.event_name ?? 'event'}${event.preview ? `: ${event.preview}` : ''}\n${event.event_id}`,
        style: { paddingLeft: `${10 + depth * 16}px` },
      },
      depth > 0 ? h('span', { class: 'guide', 'aria-hidden': 'true' }, '└') : undefined,
      h('span', { class: `kind ${kind}` }, kind),
      h('b', {}, event.event_name ?? (kind === 'model' ? (event.model ?? 'model call') : kind)),
      event.preview
        ? h('span', { class: 'preview' }, event.preview)
        : h('span', { class: 'preview muted' }, event.model ?? ''),
    ),
    h(
      'div',
      { class: 'track' },
      h(
        'div',
        {
          class: `bar ${kind} ${event.status}${event.stored === 0 ? ' unstored' : ''}${event.start === undefined ? ' untimed' : ''}`,
          'data-status': event.status,
          title: title.filter(Boolean).join('\n'),
          style: { left: `${left}%`, width: `${scale.at(to) - left}%` },
        },
        event.ttft !== undefined && end > start
          ? h('i', { class: 'ttft', style: { left: `${Math.min(100, (event.ttft / (end - start)) * 100)}%` } })
          : undefined,
      ),
    ),
    h(
      'div',
      { class: 'meta' },
      h('span', { class: 'dur' }, event.start === undefined ? 'no times' : duration(end - start)),
      ...badgesOf(event, failed),
      event.error
        ? h('span', { class: 'err', title: event.error }, event.error)
        : event.model && event.preview
          ? h('span', { class: 'muted model' }, event.model)
          : undefined,
    ),
  )
}

/**
 * The timeline of a session's `events`: an axis, one row per event in tree order, and the idle stretches left
 * out. `trackPx` is the width of the bars' column at zoom 1; `zoom` widens it (the page scrolls sideways, the
 * names and durations stay in view), so that 50 calls in a long session stay apart.
 */
export function timeline(events, { sessionId, compress, selected, onOpen, trackPx = 500, zoom = 1 }) {
  const scale = timeScale(events, compress)
  const width = trackPx * zoom
  const cuts = scale.cuts.map((cut) => {
    // A cut too narrow for its label says it in its tooltip only.
    const wide = (cut.drawn / scale.total) * width >= 64
    return h(
      'div',
      {
        class: 'cut',
        style: { left: `${(cut.from / scale.total) * 100}%`, width: `${(cut.drawn / scale.total) * 100}%` },
        title: `${duration(cut.gap)} without a call, drawn shorter`,
      },
      wide ? h('span', { class: 'cut-label' }, `⋯ ${duration(cut.gap)}`) : undefined,
    )
  })
  return h(
    'div',
    { class: 'timeline', id: 'timeline' },
    h(
      'div',
      { class: 'timeline-inner', style: { '--zoom': String(zoom) } },
      h('div', { class: 'cuts' }, ...cuts),
      h(
        'div',
        { class: 'row axis' },
        h('div', { class: 'label muted' }, compress && cuts.length ? 'idle time shortened' : 'time'),
        h('div', { class: 'track' }, ...axis(scale, width)),
        h('div', { class: 'meta muted' }, 'duration'),
      ),
      ...treeRows(events, sessionId).map((row) => bar(row, scale, row.event.event_id === selected, onOpen)),
    ),
  )
}

/** The session's roll-up line. */
export function facts(session) {
  return [
    plural(session.events, 'event'),
    session.errors ? h('span', { class: 'bad' }, plural(session.errors, 'error')) : '0 errors',
    session.cancelled ? plural(session.cancelled, 'cancelled call') : undefined,
    session.unstored ? h('span', { class: 'bad' }, `${session.unstored} not stored`) : undefined,
    session.tokens !== undefined ? `${session.tokens.toLocaleString('en-US')} tokens` : 'no tokens reported',
    `${duration(session.durationMs)} total`,
    session.retried ? h('span', { class: 'warn' }, `${session.retried} retried`) : undefined,
    session.beacons ? `${session.beacons} by beacon` : undefined,
    session.duplicates ? h('span', { class: 'bad' }, plural(session.duplicates, 'duplicate')) : undefined,
  ]
    .filter(Boolean)
    .map((fact) => h('span', { class: 'fact' }, fact))
}

/** What the shapes, colours, the tick and the badges mean. */
export function legend() {
  return h(
    'div',
    { class: 'legend' },
    h('span', {}, h('i', { class: 'swatch chain' }), 'chain (spans its children)'),
    h('span', {}, h('i', { class: 'swatch model' }), 'model call'),
    h('span', {}, h('i', { class: 'swatch tool' }), 'tool'),
    h('span', {}, h('i', { class: 'swatch error' }), 'error'),
    h('span', {}, h('i', { class: 'swatch cancelled' }), 'cancelled'),
    h('span', {}, h('i', { class: 'swatch model' }, h('i', { class: 'ttft' })), 'first token'),
    h('span', {}, h('span', { class: 'badge retry' }, '↻ n'), 'failed attempts before it was stored'),
    h('span', {}, h('span', { class: 'badge beacon' }, 'beacon'), 'sent as the page went away'),
    h(
      'span',
      {},
      h('span', { class: 'badge thumb up' }, thumbIcon('up')),
      h('span', { class: 'badge thumb down' }, thumbIcon('down')),
      'feedback',
    ),
  )
}
