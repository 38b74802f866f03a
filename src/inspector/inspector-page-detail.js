// An event's details: the requests that carried it, its feedback, its chat as a conversation, then every
// field as received and, for a seed event, where the v1 route stores it.
import { conversation } from './inspector-page-chat.js'
import { h, thumbIcon } from './inspector-page-dom.js'

/** JSON as text spans: keys, strings, numbers and literals told apart by colour, every token set as text. */
function jsonView(value) {
  const text = JSON.stringify(value, null, 2) ?? 'undefined'
  const tokens = text.split(/("(?:\\.|[^"\\])*"(?:\s*:)?|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\btrue\b|\bfalse\b|\bnull\b)/)
  return h(
    'pre',
    { class: 'json' },
    ...tokens.map((token, index) => {
      if (index % 2 === 0) return token
      const kind = token.startsWith('"')
        ? /:\s*$/.test(token)
          ? 'key'
          : 'string'
        : /^[-\d]/.test(token)
          ? 'number'
          : 'literal'
      return h('span', { class: kind }, token)
    }),
  )
}

/** An event's details: the requests that carried it, every field as received, and where v1 stores them. */
export function detail({ summary, received, v1 }, onClose) {
  const attempts = summary.attempts.map((attempt) =>
    h(
      'li',
      { class: attempt.stored ? 'ok' : 'bad' },
      `#${attempt.request} → ${attempt.status || 'connection dropped'}${attempt.fault ? ` (fault: ${attempt.fault})` : ''}${attempt.beacon ? ' · beacon' : ''} · ${attempt.stored ? 'stored' : 'not stored'}`,
    ),
  )
  const feedback = summary.feedback
  return h(
    'div',
    { class: 'detail', id: 'detail' },
    h(
      'div',
      { class: 'detail-head' },
      h(
        'h3',
        {},
        h('span', { class: `kind ${summary.event_type}` }, summary.event_type),
        ' ',
        summary.event_name ?? 'event',
        ' ',
        h('code', {}, summary.event_id),
      ),
      h('button', { type: 'button', class: 'clear', onclick: onClose }, 'close'),
    ),
    h('ol', { class: 'attempts' }, ...attempts),
    feedback
      ? h(
          'div',
          { class: 'feedback', id: 'feedback' },
          feedback.thumb
            ? h(
                'span',
                { class: `badge thumb ${feedback.thumb}` },
                thumbIcon(feedback.thumb),
                feedback.thumb === 'up' ? 'thumbs up' : 'thumbs down',
              )
            : undefined,
          h('span', { class: 'muted' }, `feedback.rating: ${feedback.rating ?? '–'}`),
          feedback.comment ? h('q', { class: 'comment' }, feedback.comment) : undefined,
        )
      : undefined,
    conversation(v1 ?? received),
    h(
      'div',
      { class: 'columns' },
      h('div', {}, h('h4', {}, `As received on ${summary.route}`), jsonView(received)),
      v1
        ? h('div', {}, h('h4', {}, 'Where /v1/events/batch stores it'), jsonView(v1))
        : h(
            'div',
            {},
            h('h4', {}, 'Route'),
            h('p', { class: 'muted' }, "Received on HoneyHive's current route: stored as shown."),
          ),
    ),
  )
}
