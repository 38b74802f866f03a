// The inspector's page: no framework, no build step. It renders what /api/stream sends (a snapshot, then
// one message per request) and sets every piece of event data as text, never as HTML.
import { detail } from './inspector-page-detail.js'
import { clock, h, plural } from './inspector-page-dom.js'
import { emptyState, requestRow, sessionItem } from './inspector-page-lists.js'
import { facts, legend, timeline } from './inspector-page-session.js'

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
  // Idle stretches between calls drawn short (see timeScale).
  compress: true,
  // How many times wider than the panel the timeline's bars are drawn (1 fits the panel).
  zoom: 1,
  // The width of the timeline's bars column at zoom 1, in px, as measured after the last render.
  trackPx: undefined,
  // Why the last fault button did nothing (a count or Retry-After the API refused), shown in the fault bar.
  faultError: undefined,
}
const zooms = [1, 2, 4, 8, 16]

const $ = (id) => document.getElementById(id)

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
  if (state.requests.length > state.limits.maxRequests)
    state.requests.splice(0, state.requests.length - state.limits.maxRequests)
  for (const event of change.events) state.events.set(event.event_id, event)
  for (const session of change.sessions) state.sessions.set(session.session_id, session)
  const gone = new Set(change.dropped.sessions)
  for (const id of gone) state.sessions.delete(id)
  for (const id of change.dropped.events) state.events.delete(id)
  if (gone.size > 0)
    for (const [id, event] of state.events)
      if (gone.has(event.session_id) && !state.sessions.has(event.session_id)) state.events.delete(id)
  state.kept = change.kept
  if (state.detail && !state.events.has(state.detail.summary.event_id)) state.detail = undefined
}

const newestFirst = () => [...state.sessions.values()].sort((a, b) => b.first - a.first)

function eventsOf(sessionId) {
  return [...state.events.values()]
    .filter((event) => event.session_id === sessionId)
    .sort((a, b) => (a.start ?? a.received) - (b.start ?? b.received))
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
  $('kept').textContent =
    `${plural(events, 'event')} in ${plural(sessions, 'session')} kept (at most ${state.limits.maxEvents.toLocaleString('en-US')})`
}

function renderFaults() {
  const { pending, downUntil } = state.faults
  const left = downUntil ? Math.max(0, Math.ceil((downUntil - Date.now()) / 1000)) : 0
  const parts = []
  if (left > 0) parts.push(h('span', { class: 'chip down' }, `down: connections dropped for ${left} s more`))
  if (pending.length > 0) {
    const shown = pending.slice(0, 6).map((label) => h('span', { class: 'chip pending' }, label))
    parts.push(
      h('span', { class: 'muted' }, 'next:'),
      ...shown,
      pending.length > 6 ? h('span', { class: 'muted' }, `+${pending.length - 6} more`) : undefined,
    )
  }
  if (parts.length === 0) parts.push(h('span', { class: 'muted' }, 'none scheduled: requests are answered normally'))
  if (state.faultError) parts.push(h('span', { class: 'fault-error', role: 'alert' }, state.faultError))
  // replaceChildren writes undefined as the text "undefined": only elements go in.
  $('fault-state').replaceChildren(...parts.filter(Boolean))
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
      sessionItem(session, session.session_id === state.selected, () => select(session.session_id)),
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

function renderSession() {
  const session = state.sessions.get(state.selected)
  if (!session) return $('session').replaceChildren(emptyState(location.origin))
  // The timeline is drawn anew on each change: where the user had scrolled it stays.
  const before = $('timeline')
  const scrolled = before &&
    before.dataset.session === session.session_id && { left: before.scrollLeft, top: before.scrollTop }
  const toggle = h(
    'label',
    { class: 'toggle' },
    h('input', {
      type: 'checkbox',
      id: 'compress',
      checked: state.compress,
      onchange: (event) => setView({ compress: event.target.checked }),
    }),
    'shorten idle time',
  )
  const step = (by) => zooms[Math.min(zooms.length - 1, Math.max(0, zooms.indexOf(state.zoom) + by))]
  const zoom = h(
    'div',
    { class: 'zoom', role: 'group', 'aria-label': 'Zoom the timeline' },
    h(
      'button',
      {
        type: 'button',
        id: 'zoom-out',
        title: 'Zoom out',
        disabled: state.zoom === zooms[0],
        onclick: () => setView({ zoom: step(-1) }),
      },
      '−',
    ),
    h('span', { class: 'zoom-level', id: 'zoom-level' }, `${state.zoom}×`),
    h(
      'button',
      {
        type: 'button',
        id: 'zoom-in',
        title: 'Zoom in: wider bars, scroll sideways',
        disabled: state.zoom === zooms.at(-1),
        onclick: () => setView({ zoom: step(1) }),
      },
      '+',
    ),
  )
  // The bars' column at zoom 1, as last measured (a first guess: the panel less the other columns).
  const trackPx = state.trackPx ?? Math.max(160, ($('session').clientWidth || 900) - 660)
  $('session').replaceChildren(
    h(
      'div',
      { class: 'session-head' },
      h('h2', {}, 'Session ', h('code', { title: session.session_id }, session.session_id || '(no session_id)')),
      session.project ? h('span', { class: 'project', title: 'project' }, session.project) : undefined,
      h('span', { class: 'muted' }, `started ${clock(session.first)}`),
      h('div', { class: 'facts' }, ...facts(session)),
      toggle,
      zoom,
    ),
    timeline(eventsOf(session.session_id), {
      sessionId: session.session_id,
      trackPx,
      zoom: state.zoom,
      compress: state.compress,
      selected: state.detail?.summary.event_id,
      onOpen: open,
    }),
    legend(),
    state.detail
      ? detail(state.detail, () => {
          state.detail = undefined
          render()
        })
      : h('p', { class: 'hint muted' }, 'Click a bar to see the event as received and where the v1 route stores it.'),
  )
  $('timeline').dataset.session = session.session_id
  if (scrolled) Object.assign($('timeline'), { scrollLeft: scrolled.left, scrollTop: scrolled.top })
  // The axis places its labels by this width: drawn again once if the guess (or the window) was off.
  const measured = document.querySelector('#timeline .row.axis .track')?.clientWidth
  if (measured && Math.abs(measured / state.zoom - trackPx) > 4) {
    state.trackPx = measured / state.zoom
    render()
  }
}

/** Changes how the timeline is drawn, keeping its scroll position in proportion. */
function setView(change) {
  const box = $('timeline')
  const ratio = box && box.scrollWidth > box.clientWidth ? box.scrollLeft / (box.scrollWidth - box.clientWidth) : 0
  Object.assign(state, change)
  render()
  setTimeout(() => {
    const next = $('timeline')
    if (next) next.scrollLeft = ratio * (next.scrollWidth - next.clientWidth)
  }, 40)
}

async function open(eventId) {
  const response = await fetch(`/api/events/${encodeURIComponent(eventId)}`)
  state.detail = response.ok ? await response.json() : undefined
  render()
}

function renderRequests() {
  const rows = state.requests.slice(-300).reverse()
  $('request-count').textContent = state.requests.length ? String(state.requests.length) : ''
  if (rows.length === 0)
    return $('requests').replaceChildren(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No requests yet.')))
  $('requests').replaceChildren(...rows.map(requestRow))
}

// ---- controls ----------------------------------------------------------------------------------------

async function control(body) {
  const response = await fetch('/api/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const answer = await response.json().catch(() => ({}))
  if (response.ok) state.faults = answer
  state.faultError = response.ok
    ? undefined
    : `Not scheduled: ${answer.message ?? `the inspector answered ${response.status}`}`
  render()
}
// An empty field means its default; a number the API refuses (-1, 1.5) is sent as typed and explained.
const field = (id, fallback) => ($(id).value.trim() === '' ? fallback : Number($(id).value))
const count = () => field('fault-count', 1)

for (const button of document.querySelectorAll('button[data-fault]')) {
  button.addEventListener('click', () => {
    const kind = button.dataset.fault
    control({ kind, count: count(), ...(kind === '429' && { retryAfter: field('retry-after', 2) }) })
  })
}
$('down').addEventListener('click', () => control({ down: field('down-seconds', 10) }))
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
addEventListener('resize', () => render())
connect()
