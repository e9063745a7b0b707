/* global setTimeout */
// The labs, each a small form from its body schema (lab-form.js) and a picture of its answer: lost updates per
// strategy (race), the GIL's hold, convoy, speedup and release (lab-gil.js), the wait-for cycle (lab-deadlock.js),
// queue depth and who waited (producer/consumer), each executor style's timing, order and lost exceptions
// (lab-executor.js), fire times (timers). Each ends with CPython's run of the lab's original when it was asked for
// (lab-cpython.js).

import { api } from './api.js'
import { bars, el, ms, num, pct, shortId, svg } from './dom.js'
import { cpythonBlock } from './lab-cpython.js'
import { deadlockPicture } from './lab-deadlock.js'
import { executorPicture } from './lab-executor.js'
import { bodyOf, labForm } from './lab-form.js'
import { gilPicture } from './lab-gil.js'

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
  parts.push(cpythonBlock(result.cpython, 'lab-race-cpython', (cpython) => [
    el('p', {}, `switch interval ${num(cpython.switchIntervalMs, 'ms')}: lost updates per strategy`),
    lostBars(cpython.results, 'lost updates per strategy on CPython'),
    cpython.absent.map((absent) => el('p', { class: 'hint' }, `${absent.strategy}: ${absent.reason}`))
  ]))
  return parts
}

function producerConsumerPicture (result) {
  const most = Math.max(1, ...result.workers.map((worker) => worker.count))
  const stuck = result.stuck + result.stuckProducers > 0 ? ` ${result.stuck} consumer(s) and ${result.stuckProducers} producer(s) stuck (ended).` : ''
  return [
    el('p', {}, `${result.verified ? 'Verified' : 'NOT verified'}: ${result.consumed} of ${result.produced} messages consumed, ${result.lost} lost, ${result.duplicates} duplicated; ${num(result.messagesPerSecond)} messages/s, ${ms(result.ms)} (stop: ${result.stop}${result.gil ? ', GIL' : ''}).${stuck}`),
    el('p', { class: 'hint' }, result.lesson),
    cpythonBlock(result.cpython, 'lab-pc-cpython', (cpython) => el('p', {}, cpython.absent
      ? `${cpython.absent}.`
      : `${cpython.consumed} of ${cpython.produced} consumed, ${cpython.lost} lost, ${cpython.stuck} stuck, ${ms(cpython.ms)}.`)),
    bars([{ label: 'queue depth (max)', share: result.maxDepth / Math.max(1, result.capacity), text: `${result.maxDepth} of ${result.capacity}` }], 'largest queue depth'),
    bars(result.workers.map((worker) => ({
      label: `${worker.role} ${worker.index}`,
      share: worker.count / most,
      text: `${worker.count} messages, waited ${ms(worker.blockedMs)}${result.gil ? `, GIL wait ${ms(worker.gilWaitMs)}` : ''}${worker.ended === 'returned' ? '' : ` (${worker.ended})`}`
    })), 'messages per thread')
  ]
}

/** Fire times (ms from the timer's creation) as dots on a line spanning `span` ms. */
function fireLine (times, span, label) {
  const width = 520
  const line = svg('svg', { viewBox: `0 0 ${width} 50`, width, height: 50, role: 'img', 'aria-label': label },
    svg('line', { x1: 10, y1: 25, x2: width - 10, y2: 25, stroke: '#aab3bd' }))
  for (const time of times) line.append(svg('circle', { cx: 10 + ((width - 20) * time) / span, cy: 25, r: 6, fill: '#1f5fbf' }, svg('title', {}, `fired at +${ms(time)}`)))
  return line
}

/** CPython's threading.Timer with the same delay, interval and count: its fires on a line of the same span. */
function pythonTimer (cpython, span) {
  return cpythonBlock(cpython, 'lab-timers-cpython', (result) => [
    el('p', {}, `${result.fires} of ${result.count} fires, late by at most ${ms(result.maxLateMs)}`),
    fireLine(result.firedAtMs, span, `${result.fires} of ${result.count} fires on CPython`)
  ])
}

/**
 * A timer's fires on a time line from its creation, and CPython's threading.Timer beside it when asked for (it runs
 * after the Node timer's last fire); polled until it is done or cancelled and CPython has answered.
 */
function timerPicture (timer, holder) {
  const start = Date.parse(timer.createdAt)
  const times = timer.firedAt.map((at) => Date.parse(at) - start)
  const python = timer.cpython?.ran ? timer.cpython.result : undefined
  const span = Math.max(1, ...times, ...(python?.firedAtMs ?? []), timer.delayMs + (timer.intervalMs ?? 0) * (timer.count - 1))
  const cancel = el('button', { type: 'button', class: 'danger' }, 'Cancel timer')
  const ended = timer.state === 'done' || timer.state === 'cancelled'
  cancel.hidden = ended
  cancel.addEventListener('click', () => { api(`/timers/${timer.id}`, { method: 'DELETE' }).catch(() => {}) })
  const waiting = /^(waiting|running):/.test(timer.cpython?.reason ?? '')
  const parts = [
    el('p', {}, `timer ${shortId(timer.id)}: ${timer.state}, ${timer.fires} of ${timer.count} fires, fires late by at most ${ms(timer.maxLateMs)}`),
    fireLine(times, span, `${timer.fires} of ${timer.count} fires`),
    cancel,
    waiting ? el('p', { class: 'hint', id: 'lab-timers-cpython' }, `CPython, ${timer.cpython.reason}…`) : pythonTimer(timer.cpython, span)
  ].flat().filter(Boolean)
  if (!ended || waiting) {
    setTimeout(() => {
      api(`/timers/${timer.id}`).then((next) => holder.replaceChildren(...timerPicture(next, holder))).catch(() => {})
    }, 200)
  }
  return parts
}

export function labsPanel (container, { openapi }) {
  container.replaceChildren()
  labForm(container, { id: 'lab-race', title: 'Race', what: 'Threads add to one shared counter: x += 1 (unsafe), x = x + one() (unsafe-call), Atomics.add, a mutex — with or without an emulated GIL, and beside CPython. How many updates are lost?', schema: bodyOf(openapi, '/labs/race'), path: '/labs/race', picture: racePicture })
  labForm(container, { id: 'lab-gil', title: 'GIL', what: 'CPU-bound threads under the emulated GIL (and CPython\'s own, with cpython): how long a thread holds the lock, what one CPU thread does to an I/O thread\'s round trip (the convoy), N threads\' speedup, and C code that releases the lock (hashlib) against code that keeps it.', schema: bodyOf(openapi, '/labs/gil'), path: '/labs/gil', picture: gilPicture, action: 'Run the GIL lab' })
  labForm(container, { id: 'lab-deadlock', title: 'Deadlock', what: 'Each worker takes two locks; in opposite order they make a cycle that a watchdog finds in the wait-for table.', schema: bodyOf(openapi, '/labs/deadlock'), path: '/labs/deadlock', picture: deadlockPicture })
  labForm(container, { id: 'lab-pc', title: 'Producer/consumer', what: 'Producer and consumer threads over a bounded queue in shared memory, stopped four ways (seed-event is the seed\'s bug: messages lost, consumers stuck); cpu or io work per message, with or without a GIL.', schema: bodyOf(openapi, '/labs/producer-consumer'), path: '/labs/producer-consumer', picture: producerConsumerPicture })
  labForm(container, { id: 'lab-executor', title: 'Executor', what: 'Tasks on a pool of threads, collected three ways — map (submission order), as-completed (as each ends), fire-and-forget (never asked): when the first and last results come, in what order, and which exceptions nobody saw. CPython\'s ThreadPoolExecutor beside it with cpython.', schema: bodyOf(openapi, '/labs/executor'), path: '/labs/executor', picture: executorPicture })
  labForm(container, { id: 'lab-timers', title: 'Timer', what: 'A cancellable, re-arming timer: when it fires, how late, and Cancel.', schema: bodyOf(openapi, '/timers'), path: '/timers', picture: timerPicture, presets: { delayMs: 100, intervalMs: 150, count: 8 } })
}
