// The page's small helpers: elements from data (always as text, never as HTML) and the formats it shows.

/** Creates an element; strings and numbers become text nodes, `on*` attributes listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false || value === null) continue
    if (name === 'class') element.className = value
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value)
    else if (name === 'style') {
      // Custom properties (`--zoom`) need setProperty; the others are plain assignments.
      for (const [key, style] of Object.entries(value)) {
        if (key.startsWith('--')) element.style.setProperty(key, style)
        else element.style[key] = style
      }
    } else element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat())
    if (child !== undefined && child !== null && child !== false)
      element.append(child instanceof Node ? child : String(child))
  return element
}

/** A long id as its first 8 and last 4 characters. */
export const short = (id) => (id ? (id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id) : '(no session_id)')

/** A time of day with milliseconds. */
export const clock = (ms) =>
  `${new Date(ms).toLocaleTimeString('en-GB', { hour12: false })}.${String(ms % 1000).padStart(3, '0')}`

/** A duration, rounded for reading: 0.4 ms, 840 ms, 1.24 s, 12.5 s, 2 m 03 s, 1 h 05 m. */
export function duration(ms) {
  if (ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms < 0) return `-${duration(-ms)}`
  if (ms < 1) return ms < 0.05 ? '0 ms' : `${ms.toFixed(1)} ms`
  if (ms < 999.5) return `${Math.round(ms)} ms`
  if (ms < 9995) return `${(ms / 1000).toFixed(2)} s`
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`
  // Whole seconds first, so that 59.6 s of a minute is never "60 s".
  const seconds = Math.round(ms / 1000)
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ${String(seconds % 60).padStart(2, '0')} s`
  const minutes = Math.round(seconds / 60)
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`
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
