// The page's two lists (a session in the sessions list, a request in the request log) and its empty state.
// Data set as text.
import { clock, duration, h, plural, short } from './inspector-page-dom.js'

/** A session in the list: its id and first arrival, its first message, project and roll-up. */
export function sessionItem(session, selected, onSelect) {
  return h(
    'li',
    { class: `session-item${selected ? ' selected' : ''}`, 'data-session': session.session_id, onclick: onSelect },
    h(
      'div',
      { class: 'session-line' },
      h('code', {}, short(session.session_id)),
      h('span', { class: 'muted' }, clock(session.first)),
    ),
    session.first_message
      ? h('div', { class: 'session-first', title: session.first_message }, session.first_message)
      : undefined,
    h(
      'div',
      { class: 'session-stats' },
      session.project ? h('span', { class: 'project', title: 'project' }, session.project) : undefined,
      h('span', {}, plural(session.events, 'event')),
      session.errors ? h('span', { class: 'bad' }, plural(session.errors, 'error')) : undefined,
      session.unstored ? h('span', { class: 'bad' }, `${session.unstored} not stored`) : undefined,
      session.tokens !== undefined ? h('span', {}, `${session.tokens.toLocaleString('en-US')} tok`) : undefined,
      h('span', {}, duration(session.durationMs)),
    ),
  )
}

/** A request in the log: what it was, how it was sent, what it carried and stored, the answer, the fault. */
export function requestRow(request) {
  const kind = request.status === 0 ? 'bad' : request.status >= 500 ? 'bad' : request.status >= 400 ? 'warn' : 'ok'
  const preflight = request.method === 'OPTIONS'
  const duplicates = request.duplicateCount
    ? h(
        'span',
        { class: 'bad', title: request.duplicates.join('\n') },
        `${request.duplicateCount} (${short(request.duplicates[0])}${request.duplicateCount > 1 ? ', …' : ''})`,
      )
    : ''
  return h(
    'tr',
    { 'data-status': request.status, class: preflight ? 'preflight' : undefined },
    h('td', { class: 'num' }, request.id),
    h('td', { class: 'muted' }, clock(request.at)),
    h('td', {}, h('code', {}, `${request.method} ${request.path}`)),
    h('td', {}, preflight ? 'preflight' : request.beacon ? h('span', { class: 'badge beacon' }, 'beacon') : 'json'),
    h('td', { class: 'num' }, preflight ? '' : `${request.stored}/${request.events}`),
    h(
      'td',
      {},
      h('span', { class: `status ${kind}` }, request.status || 'dropped'),
      h('span', { class: 'muted' }, ` ${duration(request.ms)}`),
    ),
    h('td', {}, request.fault ? h('span', { class: 'chip pending' }, request.fault) : ''),
    h('td', {}, duplicates),
    h('td', { class: 'note', title: request.note ?? '' }, request.note ?? ''),
  )
}

/** What the session panel shows before any event arrives: how to point an app here. */
export function emptyState(origin) {
  const snippet = `createClient({ baseUrl: '${origin}' })`
  return h(
    'div',
    { class: 'empty-state' },
    h('h2', {}, 'Waiting for events'),
    h('p', {}, 'Point your app at this server and use it: each session appears here as a timeline, live.'),
    h('pre', { class: 'snippet' }, snippet),
    h(
      'p',
      { class: 'muted' },
      'Both routes are served: POST /events/model/batch and POST /v1/events/batch. Beacons (text/plain) are accepted.',
    ),
  )
}
