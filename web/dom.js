/* global document */
// Small DOM and number helpers shared by the page's modules (no framework: a few lines of our own).

/** el('p', { class: 'muted' }, 'text', child…): an element with attributes (on* are listeners) and children. */
export function el (tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value)
    else if (value === true) element.setAttribute(name, '')
    else element.setAttribute(name, String(value))
  }
  element.append(...children.flat().filter((child) => child !== undefined && child !== null && child !== false))
  return element
}

export const $ = (selector, root = document) => root.querySelector(selector)

/** container.replaceChildren(…) without the parts that are absent (replaceChildren would print "undefined"). */
export function fill (container, ...children) {
  container.replaceChildren(...children.flat().filter((child) => child !== undefined && child !== null && child !== false))
}

/** A number for people: 3 significant digits at most below 100, whole above. */
export function num (value, unit = '') {
  if (value === null || value === undefined || Number.isNaN(value)) return '–'
  const abs = Math.abs(value)
  const text = abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : abs === 0 ? '0' : value.toPrecision(2)
  return unit ? `${text} ${unit}` : text
}

export const pct = (share) => (share === null || share === undefined ? '–' : `${(share * 100).toFixed(1)} %`)

/** Milliseconds, with µs below 1 ms and s above 10 s. */
export function ms (value) {
  if (value === null || value === undefined) return '–'
  if (value === 0) return '0 ms'
  if (value < 1) return `${(value * 1000).toPrecision(3)} µs`
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`
  return num(value, 'ms')
}

export const shortId = (id) => id.slice(0, 8)

/** A horizontal bar list: [{ label, share (0…1 of the bar), text }]. */
export function bars (items, label) {
  return el('ul', { class: 'bars', 'aria-label': label },
    items.map((item) => {
      const fill = el('span')
      fill.style.width = `${Math.max(0, Math.min(1, item.share)) * 100}%`
      return el('li', {}, el('span', {}, item.label), el('span', { class: 'bar', 'aria-hidden': 'true' }, fill), el('span', {}, item.text))
    }))
}

const SVG = 'http://www.w3.org/2000/svg'

/** svg('line', { x1: … }, child…): an SVG element (the deadlock ring, the timer line). */
export function svg (tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  element.append(...children)
  return element
}

/**
 * A table of figures: a caption, column headings, rows of cells (text, or an element). The first cell of each row is
 * its heading (th scope=row), so a screen reader names the row of every figure; cells after it are numbers.
 */
export function table (caption, headings, rows, attributes = {}) {
  return el('div', { class: 'table-wrap' }, el('table', attributes,
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headings.map((heading, index) => el('th', { scope: 'col', class: index > 0 ? 'num' : undefined }, heading)))),
    el('tbody', {}, rows.map(([first, ...cells]) => el('tr', {}, el('th', { scope: 'row' }, first), cells.map((cell) => el('td', { class: 'num' }, cell ?? '–')))))))
}
