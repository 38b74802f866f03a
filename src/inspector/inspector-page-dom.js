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
