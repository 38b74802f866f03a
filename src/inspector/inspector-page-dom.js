// The page's small helpers: elements from data (always as text, never as HTML) and the formats it shows.

/** Creates an element; strings and numbers become text nodes, `on*` attributes listeners. */
export function h(tag, attributes = {}, ...children) {
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

/** A long id as its first 8 and last 4 characters. */
export const short = (id) => (id ? (id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id) : '(no session_id)')

/** A time of day with milliseconds. */
export const clock = (ms) => `${new Date(ms).toLocaleTimeString('en-GB', { hour12: false })}.${String(ms % 1000).padStart(3, '0')}`

/** A duration: 840 ms, 1.24 s, 12.5 s, 2 m 03 s. */
export function duration(ms) {
  if (ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  return `${Math.floor(ms / 60_000)} m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`
}

/** A count with its noun, plural unless 1: `1 event`, `3 errors`. */
export const plural = (count, word) => `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`

// A thumb (hand closed, thumb up) drawn for this page; turned over for "down".
const thumbPath = 'M2 10h4v11H2z M8 10l4-8c1.5 0 2.5 1 2.5 2.5L14 9h6c1.1 0 2 .9 2 2l-2.5 8.5c-.3.9-1.1 1.5-2 1.5H8z'

/** A thumbs up or down icon, as SVG (the page loads no fonts or images). */
export function thumbIcon(thumb) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('class', `thumb-icon ${thumb}`)
  svg.setAttribute('aria-hidden', 'true')
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path')
  path.setAttribute('d', thumbPath)
  if (thumb === 'down') path.setAttribute('transform', 'rotate(180 12 12)')
  svg.append(path)
  return svg
}
