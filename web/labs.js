/* global document, setTimeout */
// The labs, each a small form from its body schema and a picture of its answer: lost updates per strategy (race),
// the wait-for cycle (deadlock), queue depth and who waited (producer/consumer), fire times (timers).

import { api } from './api.js'
import { bars, el, ms, num, pct, shortId } from './dom.js'
import { field } from './form.js'

const SVG = 'http://www.w3.org/2000/svg'
function svg (tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  element.append(...children)
  return element
}

const bodyOf = (openapi, path) => openapi.paths[path]?.post?.requestBody?.content?.['application/json']?.schema

/** A lab's form: its scalar fields (arrays and nested objects keep their defaults), a button, where the answer goes. */
function labForm (container, { id, title, what, schema, path, picture, presets = {} }) {
  const fields = Object.entries(schema?.properties ?? {})
    .filter(([, property]) => property.type !== 'array' && property.type !== 'object')
    .map(([name, property]) => {
      const required = schema.required?.includes(name) ?? false
      return [name, field(name, property, { idPrefix: id, required, value: presets[name] ?? (required ? property.default : undefined) })]
    })
    .filter(([, made]) => made)
  const status = el('span', { role: 'status', id: `${id}-status` })
  const answer = el('div', { id: `${id}-answer` })
  const form = el('form', { id: `${id}-form` },
    el('div', { class: 'fields' }, fields.map(([, made]) => made.element)),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, `Run ${title.toLowerCase()}`), status))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const body = Object.fromEntries(fields.map(([name, made]) => [name, made.read()]).filter(([, value]) => value !== undefined))
    const button = form.querySelector('button[type="submit"]')
    button.disabled = true
    status.textContent = 'running…'
    try {
      const result = await api(path, { method: 'POST', body })
      status.textContent = ''
      answer.replaceChildren(...[picture(result, answer)].flat().filter(Boolean))
    } catch (error) {
      status.textContent = `${error.code ?? 'ERROR'}: ${error.message}`
    } finally {
      button.disabled = false
    }
  })
  container.append(el('div', { class: 'lab', id }, el('h3', {}, title), el('p', { class: 'hint' }, what), form, answer))
}

/** Lost updates per strategy as bars; each row's Python statement and lesson; CPython's own run beside it when asked for. */
function racePicture (result) {
  const lostBars = (rows, label) => bars(rows.map((row) => ({
    label: row.strategy,
    share: row.expected ? row.lostUpdates / row.expected : 0,
    text: `lost ${row.lostUpdates} of ${row.expected} (${pct(row.expected ? row.lostUpdates / row.expected : 0)}), ${num(row.ms, 'ms')}${row.gilSwitches === undefined ? '' : `, ${row.gilSwitches} GIL switches`}`
  })), label)
  const how = result.gil
    ? `with the emulated GIL (switch interval ${num(result.switchIntervalMs, 'ms')}; it switches only at a loop's back-edge or a call's entry, as CPython 3.10+)`
    : 'without a GIL (the free-threaded 3.13t / C case)'
  const parts = [
    el('p', {}, `${result.workers} threads × ${result.increments} increments on ${result.cores} cores, ${how}: lost updates per strategy`),
    lostBars(result.results, 'lost updates per strategy'),
    el('ul', { class: 'meanings' }, result.results.map((row) => el('li', {}, el('strong', {}, row.strategy), ` — Python: ${row.python}. ${row.meaning}`)))
  ]
  const cpython = result.cpython
  if (cpython?.ran && cpython.result) {
    const python = cpython.python
    parts.push(el('p', { id: 'lab-race-cpython' }, `CPython ${python?.version ?? ''} (${python?.gilEnabled === false ? 'GIL off' : 'with its GIL'}, switch interval ${num(cpython.result.switchIntervalMs, 'ms')}), the same parameters in python/race.py:`),
      lostBars(cpython.result.results, 'lost updates per strategy on CPython'))
    for (const absent of cpython.result.absent) parts.push(el('p', { class: 'hint' }, `${absent.strategy}: ${absent.reason}`))
  } else if (cpython && !cpython.ran && !/^not requested/.test(cpython.reason ?? '')) {
    parts.push(el('p', { id: 'lab-race-cpython' }, `CPython did not run: ${cpython.reason}`))
  }
  return parts
}

/** Workers on a ring; an arrow from each worker of the cycle to the worker holding the lock it waits for. */
function deadlockPicture (result) {
  const size = 260
  const radius = 95
  const centre = size / 2
  const at = (worker) => {
    const angle = (2 * Math.PI * worker) / result.workers - Math.PI / 2
    return [centre + radius * Math.cos(angle), centre + radius * Math.sin(angle)]
  }
  const inCycle = new Set(result.cycle.map((edge) => edge.worker))
  const picture = svg('svg', { viewBox: `0 0 ${size} ${size}`, width: size, height: size, role: 'img', 'aria-label': result.deadlocked ? `wait-for cycle of ${result.cycle.length} workers` : 'no wait-for cycle' },
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#b3261e' }))))
  for (const edge of result.cycle) {
    const [x1, y1] = at(edge.worker)
    const [x2, y2] = at(edge.heldBy)
    const length = Math.hypot(x2 - x1, y2 - y1) || 1
    const trim = 20 / length
    picture.append(svg('line', { x1: x1 + (x2 - x1) * trim, y1: y1 + (y2 - y1) * trim, x2: x2 - (x2 - x1) * trim, y2: y2 - (y2 - y1) * trim, stroke: '#b3261e', 'stroke-width': 2, 'marker-end': 'url(#arrow)' },
      svg('title', {}, `worker ${edge.worker} holds lock ${edge.holds}, waits for lock ${edge.waitsFor} held by worker ${edge.heldBy}`)))
  }
  for (let worker = 0; worker < result.workers; worker++) {
    const [x, y] = at(worker)
    const done = result.perWorker.find((row) => row.worker === worker)?.acquired
    picture.append(svg('circle', { cx: x, cy: y, r: 16, fill: inCycle.has(worker) ? '#fdecea' : done ? '#e6f4ea' : '#eee', stroke: inCycle.has(worker) ? '#b3261e' : '#1e7a3c', 'stroke-width': 2 }),
      svg('text', { x, y: y + 4, 'text-anchor': 'middle' }, `w${worker}`))
  }
  const what = result.kind === 'self'
    ? 'each worker waits for a lock it holds itself (a non-reentrant lock taken twice)'
    : result.kind === 'abandoned'
      ? `lock ${result.abandoned?.lock} is held by worker ${result.abandoned?.owner}, which is gone; ${result.abandoned?.waiters.length ?? 0} workers wait for it`
      : `a wait-for cycle of ${result.cycle.length} workers`
  const text = result.deadlocked
    ? `Deadlock (${result.kind ?? 'cycle'}): ${what}, found by ${result.detectedBy ?? '?'} after ${ms(result.detectedAfterMs)}, resolved by ${result.resolvedBy ?? '?'}.`
    : `No deadlock (${result.strategy}): every worker ${result.perWorker.every((row) => row.acquired) ? 'took its locks' : 'finished'} in ${ms(result.ms)}.`
  return [el('p', { id: 'deadlock-verdict' }, text), picture]
}

function producerConsumerPicture (result) {
  const most = Math.max(1, ...result.workers.map((worker) => worker.count))
  const stuck = result.stuck + result.stuckProducers > 0 ? ` ${result.stuck} consumer(s) and ${result.stuckProducers} producer(s) stuck (ended).` : ''
  const python = result.cpython?.ran
    ? (result.cpython.result.absent
        ? `CPython ${result.cpython.python.version}: ${result.cpython.result.absent}.`
        : `CPython ${result.cpython.python.version}: ${result.cpython.result.consumed} of ${result.cpython.result.produced} consumed, ${result.cpython.result.lost} lost, ${result.cpython.result.stuck} stuck, ${ms(result.cpython.result.ms)}.`)
    : ''
  return [
    el('p', {}, `${result.verified ? 'Verified' : 'NOT verified'}: ${result.consumed} of ${result.produced} messages consumed, ${result.lost} lost, ${result.duplicates} duplicated; ${num(result.messagesPerSecond)} messages/s, ${ms(result.ms)} (stop: ${result.stop}${result.gil ? ', GIL' : ''}).${stuck}`),
    el('p', { class: 'hint' }, result.lesson),
    python ? el('p', {}, python) : null,
    bars([{ label: 'queue depth (max)', share: result.maxDepth / Math.max(1, result.capacity), text: `${result.maxDepth} of ${result.capacity}` }], 'largest queue depth'),
    bars(result.workers.map((worker) => ({
      label: `${worker.role} ${worker.index}`,
      share: worker.count / most,
      text: `${worker.count} messages, waited ${ms(worker.blockedMs)}${result.gil ? `, GIL wait ${ms(worker.gilWaitMs)}` : ''}${worker.ended === 'returned' ? '' : ` (${worker.ended})`}`
    })), 'messages per thread')
  ]
}

/** A timer's fires on a time line from its creation; polled until it is done or cancelled. */
function timerPicture (timer, holder) {
  const width = 520
  const start = Date.parse(timer.createdAt)
  const times = timer.firedAt.map((at) => Date.parse(at) - start)
  const span = Math.max(1, ...times, timer.delayMs + (timer.intervalMs ?? 0) * (timer.count - 1))
  const line = svg('svg', { viewBox: `0 0 ${width} 50`, width, height: 50, role: 'img', 'aria-label': `${timer.fires} of ${timer.count} fires` },
    svg('line', { x1: 10, y1: 25, x2: width - 10, y2: 25, stroke: '#aab3bd' }))
  for (const time of times) line.append(svg('circle', { cx: 10 + ((width - 20) * time) / span, cy: 25, r: 6, fill: '#1f5fbf' }, svg('title', {}, `fired at +${ms(time)}`)))
  const cancel = el('button', { type: 'button', class: 'danger' }, 'Cancel timer')
  cancel.hidden = timer.state === 'done' || timer.state === 'cancelled'
  cancel.addEventListener('click', () => { api(`/timers/${timer.id}`, { method: 'DELETE' }).catch(() => {}) })
  const parts = [el('p', {}, `timer ${shortId(timer.id)}: ${timer.state}, ${timer.fires} of ${timer.count} fires, fires late by at most ${ms(timer.maxLateMs)}`), line, cancel]
  if (!cancel.hidden) {
    setTimeout(() => {
      api(`/timers/${timer.id}`).then((next) => holder.replaceChildren(...timerPicture(next, holder))).catch(() => {})
    }, 200)
  }
  return parts
}

export function labsPanel (container, { openapi }) {
  container.replaceChildren()
  labForm(container, { id: 'lab-race', title: 'Race', what: 'Threads add to one shared counter: x += 1 (unsafe), x = x + one() (unsafe-call), Atomics.add, a mutex — with or without an emulated GIL, and beside CPython. How many updates are lost?', schema: bodyOf(openapi, '/labs/race'), path: '/labs/race', picture: racePicture })
  labForm(container, { id: 'lab-deadlock', title: 'Deadlock', what: 'Each worker takes two locks; in opposite order they make a cycle that a watchdog finds in the wait-for table.', schema: bodyOf(openapi, '/labs/deadlock'), path: '/labs/deadlock', picture: deadlockPicture })
  labForm(container, { id: 'lab-pc', title: 'Producer/consumer', what: 'Producer and consumer threads over a bounded queue in shared memory, stopped four ways (seed-event is the seed\'s bug: messages lost, consumers stuck); cpu or io work per message, with or without a GIL.', schema: bodyOf(openapi, '/labs/producer-consumer'), path: '/labs/producer-consumer', picture: producerConsumerPicture })
  labForm(container, { id: 'lab-timers', title: 'Timer', what: 'A cancellable, re-arming timer: when it fires, how late, and Cancel.', schema: bodyOf(openapi, '/timers'), path: '/timers', picture: timerPicture, presets: { delayMs: 100, intervalMs: 150, count: 8 } })
}
