// The inspector's page: no framework, no build step. It renders what /api/stream sends (a snapshot, then
// one message per request) and sets every piece of event data as text, never as HTML.

const state = {
  sessions: new Map(),
  events: new Map(),
  requests: [],
  faults: { pending: [] },
  kept: { events: 0, sessions: 0 },
  limits: { maxEvents: 0, maxRequests: 1000 },
  selected: undefined,
  // A session named in the address (#session=<id>, as `npm run demo -- --inspect` prints), shown once it arrives.
  wanted: location.hash.startsWith('#session=') ? decodeURIComponent(location.hash.slice(9)) : undefined,
  // Follow the newest session until the user picks one.
  follow: true,
  detail: undefined,
}

const $ = (id) => document.getElementById(id)

/** Creates an element; strings and numbers become text nodes. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false || value === null) continue
    if (name === 'class') element.className = value
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value)
    else if (name === 'style') Object.assign(element.style, value)
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) element.append(child instanceof Node ? child : String(child))
  return element
}

const short = (id) => (id ? (id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id) : '(no session_id)')
const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false }) + `.${String(ms % 1000).padStart(3, '0')}`
function duration(ms) {
  if (ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  return `${Math.floor(ms / 60_000)} m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`
}
const plural = (count, word) => `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`

// ---- data --------------------------------------------------------------------------------------------

function applySnapshot(snapshot) {
  state.sessions = new Map(snapshot.sessions.map((session) => [session.session_id, session]))
  state.events = new Map(snapshot.events.map((event) => [event.event_id, event]))
  state.requests = snapshot.requests
  state.faults = snapshot.faults
  state.kept = snapshot.kept
  state.limits = snapshot.limits
}

function applyChange(change) {
  state.requests.push(change.request)
  if (state.requests.length > state.limits.maxRequests) state.requests.splice(0, state.requests.length - state.limits.maxRequests)
  for (const event of change.events) state.events.set(event.event_id, event)
  for (const session of change.sessions) state.sessions.set(session.session_id, session)
  const gone = new Set(change.dropped.sessions)
  for (const id of gone) state.sessions.delete(id)
  for (const id of change.dropped.events) state.events.delete(id)
  if (gone.size > 0) for (const [id, event] of state.events) if (gone.has(event.session_id) && !state.sessions.has(event.session_id)) state.events.delete(id)
  state.kept = change.kept
  if (state.detail && !state.events.has(state.detail.summary.event_id)) state.detail = undefined
}

const newestFirst = () => [...state.sessions.values()].sort((a, b) => b.first - a.first)

function eventsOf(sessionId) {
  return [...state.events.values()].filter((event) => event.session_id === sessionId).sort((a, b) => (a.start ?? a.received) - (b.start ?? b.received))
}

// ---- rendering ---------------------------------------------------------------------------------------

let scheduled = false
function render() {
  if (scheduled) return
  scheduled = true
  setTimeout(() => {
    scheduled = false
    const sessions = newestFirst()
    if (state.wanted !== undefined && state.sessions.has(state.wanted)) {
      state.selected = state.wanted
      state.wanted = undefined
      state.follow = false
    }
    if (state.follow || !state.sessions.has(state.selected)) state.selected = sessions[0]?.session_id
    renderHeader()
    renderFaults()
    renderSessions(sessions)
    renderSession()
    renderRequests()
  }, 30)
}

function renderHeader() {
  $('base-url').textContent = location.origin
  const { events, sessions } = state.kept
  $('kept').textContent = `${plural(events, 'event')} in ${plural(sessions, 'session')} kept (at most ${state.limits.maxEvents.toLocaleString('en-US')})`
}

function renderFaults() {
  const { pending, downUntil } = state.faults
  const left = downUntil ? Math.max(0, Math.ceil((downUntil - Date.now()) / 1000)) : 0
  const parts = []
  if (left > 0) parts.push(h('span', { class: 'chip down' }, `down: connections dropped for ${left} s more`))
  if (pending.length > 0) {
    const shown = pending.slice(0, 6).map((label) => h('span', { class: 'chip pending' }, label))
    parts.push(h('span', { class: 'muted' }, 'next:'), ...shown, pending.length > 6 ? h('span', { class: 'muted' }, `+${pending.length - 6} more`) : undefined)
  }
  if (parts.length === 0) parts.push(h('span', { class: 'muted' }, 'none scheduled: requests are answered normally'))
  $('fault-state').replaceChildren(...parts)
  document.body.classList.toggle('is-down', left > 0)
}

function renderSessions(sessions) {
  $('session-count').textContent = sessions.length ? String(sessions.length) : ''
  if (sessions.length === 0) {
    $('sessions').replaceChildren(h('li', { class: 'empty' }, 'No sessions yet.'))
    return
  }
  $('sessions').replaceChildren(
    ...sessions.map((session) =>
      h(
        'li',
        {
          class: `session-item${session.session_id === state.selected ? ' selected' : ''}`,
          'data-session': session.session_id,
          onclick: () => select(session.session_id),
        },
        h('div', { class: 'session-line' }, h('code', {}, short(session.session_id)), h('span', { class: 'muted' }, clock(session.first))),
        h(
          'div',
          { class: 'session-stats' },
          h('span', {}, plural(session.events, 'event')),
          session.errors ? h('span', { class: 'bad' }, plural(session.errors, 'error')) : undefined,
          session.tokens !== undefined ? h('span', {}, `${session.tokens.toLocaleString('en-US')} tok`) : undefined,
          h('span', {}, duration(session.durationMs)),
        ),
      ),
    ),
  )
}

function select(sessionId) {
  state.selected = sessionId
  state.follow = false
  state.detail = undefined
  history.replaceState(null, '', `#session=${encodeURIComponent(sessionId)}`)
  render()
}

function emptyState() {
  const snippet = `createClient({ baseUrl: '${location.origin}' })`
  return h(
    'div',
    { class: 'empty-state' },
    h('h2', {}, 'Waiting for events'),
    h('p', {}, 'Point your app at this server and use it: each session appears here as a timeline, live.'),
    h('pre', { class: 'snippet' }, snippet),
    h('p', { class: 'muted' }, 'Both routes are served: POST /events/model/batch and POST /v1/events/batch. Beacons (text/plain) are accepted.'),
  )
}

function renderSession() {
  const session = state.sessions.get(state.selected)
  if (!session) return $('session').replaceChildren(emptyState())
  const events = eventsOf(session.session_id)
  const facts = [
    plural(session.events, 'event'),
    session.errors ? h('span', { class: 'bad' }, plural(session.errors, 'error')) : '0 errors',
    session.cancelled ? plural(session.cancelled, 'cancelled call') : undefined,
    session.tokens !== undefined ? `${session.tokens.toLocaleString('en-US')} tokens` : 'no tokens reported',
    `${duration(session.durationMs)} total`,
    session.retried ? h('span', { class: 'warn' }, `${session.retried} retried`) : undefined,
    session.beacons ? `${session.beacons} by beacon` : undefined,
    session.duplicates ? h('span', { class: 'bad' }, plural(session.duplicates, 'duplicate')) : undefined,
  ].filter(Boolean)
  $('session').replaceChildren(
    h('div', { class: 'session-head' }, h('h2', {}, 'Session ', h('code', { title: session.session_id }, session.session_id || '(no session_id)')), h('div', { class: 'facts' }, ...facts.map((fact) => h('span', { class: 'fact' }, fact)))),
    timeline(events),
    legend(),
    state.detail ? detail(state.detail) : h('p', { class: 'hint muted' }, 'Click a bar to see the event as received and where the v1 route stores it.'),
  )
}

function timeline(events) {
  const starts = events.map((event) => event.start ?? event.received)
  const ends = events.map((event) => event.end ?? event.start ?? event.received)
  const from = Math.min(...starts)
  const span = Math.max(1, Math.max(...ends) - from)
  const at = (ms) => `${((ms - from) / span) * 100}%`
  const ticks = axisTicks(span)
  return h(
    'div',
    { class: 'timeline', id: 'timeline' },
    h('div', { class: 'row axis' }, h('div', { class: 'label' }), h('div', { class: 'track' }, ...ticks.map((ms) => h('span', { class: 'tick', style: { left: `${(ms / span) * 100}%` } }, ms === 0 ? '0' : duration(ms)))), h('div', { class: 'meta' })),
    ...events.map((event) => {
      const start = event.start ?? event.received
      const end = event.end ?? start
      const failedTries = event.attempts.filter((attempt) => !attempt.stored)
      const badges = [
        event.stored === 0 ? h('span', { class: 'badge lost', title: 'No request stored it' }, 'not stored') : undefined,
        failedTries.length > 0 && event.stored > 0
          ? h('span', { class: 'badge retry', title: failedTries.map((attempt) => `#${attempt.request} ${attempt.status || 'dropped'}${attempt.fault ? ` (${attempt.fault})` : ''}`).join(', ') }, `↻ ${failedTries.length}`)
          : undefined,
        event.beacon ? h('span', { class: 'badge beacon', title: 'Stored from a text/plain beacon' }, 'beacon') : undefined,
        event.stored > 1 ? h('span', { class: 'badge dup', title: `Stored ${event.stored} times` }, `dup ×${event.stored}`) : undefined,
      ]
      const title = [
        `${event.event_name ?? 'event'} · ${event.model ?? 'no model'} · ${event.status}`,
        `${duration(end - start)}${event.ttft !== undefined ? `, first token at ${duration(event.ttft)}` : ''}`,
        event.error ? `error: ${event.error}` : undefined,
      ].filter(Boolean).join('\n')
      return h(
        'div',
        {
          class: `row${state.detail?.summary.event_id === event.event_id ? ' selected' : ''}`,
          'data-event': event.event_id,
          'data-retries': failedTries.length,
          onclick: () => open(event.event_id),
        },
        h('div', { class: 'label', title: event.event_id }, h('b', {}, event.event_name ?? 'event'), h('span', { class: 'muted' }, event.model ?? '')),
        h(
          'div',
          { class: 'track' },
          h(
            'div',
            { class: `bar ${event.status}${event.stored === 0 ? ' unstored' : ''}${event.start === undefined ? ' untimed' : ''}`, 'data-status': event.status, title, style: { left: at(start), width: `calc(${((end - start) / span) * 100}% + 0px)` } },
            event.ttft !== undefined && end > start ? h('i', { class: 'ttft', title: `first token at ${duration(event.ttft)}`, style: { left: `${Math.min(100, (event.ttft / (end - start)) * 100)}%` } }) : undefined,
          ),
        ),
        h('div', { class: 'meta' }, h('span', { class: 'dur' }, event.start === undefined ? 'no times' : duration(end - start)), ...badges, event.error ? h('span', { class: 'err', title: event.error }, event.error) : undefined),
      )
    }),
  )
}

function axisTicks(span) {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000]
  const step = steps.find((candidate) => span / candidate <= 6) ?? 3_600_000 * Math.ceil(span / 3_600_000 / 6)
  const ticks = []
  for (let ms = 0; ms <= span; ms += step) ticks.push(ms)
  return ticks
}

function legend() {
  return h(
    'div',
    { class: 'legend' },
    h('span', {}, h('i', { class: 'swatch success' }), 'success'),
    h('span', {}, h('i', { class: 'swatch error' }), 'error'),
    h('span', {}, h('i', { class: 'swatch cancelled' }), 'cancelled'),
    h('span', {}, h('i', { class: 'swatch tick' }), 'first token'),
    h('span', {}, h('span', { class: 'badge retry' }, '↻ n'), 'failed attempts before it was stored'),
    h('span', {}, h('span', { class: 'badge beacon' }, 'beacon'), 'sent as the page went away'),
  )
}

async function open(eventId) {
  const response = await fetch(`/api/events/${encodeURIComponent(eventId)}`)
  state.detail = response.ok ? await response.json() : undefined
  render()
}

/** JSON as text spans: keys, strings and numbers told apart by colour, every token set as text. */
function jsonView(value) {
  const text = JSON.stringify(value, null, 2) ?? 'undefined'
  const tokens = text.split(/("(?:\\.|[^"\\])*"(?:\s*:)?|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\btrue\b|\bfalse\b|\bnull\b)/)
  return h(
    'pre',
    { class: 'json' },
    ...tokens.map((token, index) => {
      if (index % 2 === 0) return token
      const kind = token.startsWith('"') ? (/:\s*$/.test(token) ? 'key' : 'string') : /^[-\d]/.test(token) ? 'number' : 'literal'
      return h('span', { class: kind }, token)
    }),
  )
}

function detail({ summary, received, v1 }) {
  const attempts = summary.attempts.map((attempt) =>
    h('li', { class: attempt.stored ? 'ok' : 'bad' }, `#${attempt.request} → ${attempt.status || 'connection dropped'}${attempt.fault ? ` (fault: ${attempt.fault})` : ''}${attempt.beacon ? ' · beacon' : ''}${attempt.stored ? ' · stored' : ' · not stored'}`),
  )
  return h(
    'div',
    { class: 'detail', id: 'detail' },
    h('div', { class: 'detail-head' }, h('h3', {}, summary.event_name ?? 'event', ' ', h('code', {}, summary.event_id)), h('button', { type: 'button', class: 'clear', onclick: () => ((state.detail = undefined), render()) }, 'close')),
    h('ol', { class: 'attempts' }, ...attempts),
    h(
      'div',
      { class: 'columns' },
      h('div', {}, h('h4', {}, `As received on ${summary.route}`), jsonView(received)),
      v1 ? h('div', {}, h('h4', {}, 'Where /v1/events/batch stores it'), jsonView(v1)) : h('div', {}, h('h4', {}, 'Route'), h('p', { class: 'muted' }, 'Received on HoneyHive\'s current route: stored as shown.')),
    ),
  )
}

function renderRequests() {
  const rows = state.requests.slice(-300).reverse()
  $('request-count').textContent = state.requests.length ? String(state.requests.length) : ''
  if (rows.length === 0) return $('requests').replaceChildren(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No requests yet.')))
  $('requests').replaceChildren(
    ...rows.map((request) => {
      const kind = request.status === 0 ? 'bad' : request.status >= 500 ? 'bad' : request.status >= 400 ? 'warn' : 'ok'
      return h(
        'tr',
        { 'data-status': request.status, class: request.method === 'OPTIONS' ? 'preflight' : undefined },
        h('td', { class: 'num' }, request.id),
        h('td', { class: 'muted' }, clock(request.at)),
        h('td', {}, h('code', {}, `${request.method} ${request.path}`)),
        h('td', {}, request.method === 'OPTIONS' ? 'preflight' : request.beacon ? h('span', { class: 'badge beacon' }, 'beacon') : 'json'),
        h('td', { class: 'num' }, request.method === 'OPTIONS' ? '' : `${request.stored}/${request.events}`),
        h('td', {}, h('span', { class: `status ${kind}` }, request.status || 'dropped'), h('span', { class: 'muted' }, ` ${duration(request.ms)}`)),
        h('td', {}, request.fault ? h('span', { class: 'chip pending' }, request.fault) : ''),
        h('td', {}, request.duplicates.length ? h('span', { class: 'bad', title: request.duplicates.join('\n') }, `${request.duplicates.length} (${short(request.duplicates[0])}${request.duplicates.length > 1 ? ', …' : ''})`) : ''),
        h('td', { class: 'note', title: request.note ?? '' }, request.note ?? ''),
      )
    }),
  )
}

// ---- controls ----------------------------------------------------------------------------------------

async function control(body) {
  const response = await fetch('/api/faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (response.ok) state.faults = await response.json()
  else alert((await response.json()).message)
  render()
}
const count = () => Number($('fault-count').value) || 1

for (const button of document.querySelectorAll('button[data-fault]')) {
  button.addEventListener('click', () => {
    const kind = button.dataset.fault
    control({ kind, count: count(), ...(kind === '429' && { retryAfter: Number($('retry-after').value) || 0 }) })
  })
}
$('down').addEventListener('click', () => control({ down: Number($('down-seconds').value) || 0 }))
$('fault-clear').addEventListener('click', () => control({ clear: true }))
setInterval(() => state.faults.downUntil && renderFaults(), 250)

// ---- live --------------------------------------------------------------------------------------------

function connect() {
  const source = new EventSource('/api/stream')
  const show = (name, text) => {
    $('conn').dataset.state = name
    $('conn').querySelector('span').textContent = text
  }
  source.addEventListener('open', () => show('live', 'live'))
  source.addEventListener('error', () => show('down', 'reconnecting'))
  source.addEventListener('snapshot', (message) => {
    applySnapshot(JSON.parse(message.data))
    show('live', 'live')
    render()
  })
  source.addEventListener('change', (message) => {
    applyChange(JSON.parse(message.data))
    render()
  })
  source.addEventListener('faults', (message) => {
    state.faults = JSON.parse(message.data)
    render()
  })
}
connect()
