// The deadlock lab's answer: the workers on a ring with the wait-for cycle the watchdog found as arrows, its verdict,
// and CPython's run of python/deadlock.py — the same verdict, and the threads it could not end, with the line each
// is blocked on (Python cannot kill a thread).

import { el, ms, svg } from './dom.js'
import { cpythonBlock } from './lab-cpython.js'

/** What kind of deadlock, in words. */
function whatKind (result) {
  if (result.kind === 'self') return 'each worker waits for a lock it holds itself (a non-reentrant lock taken twice)'
  if (result.kind === 'abandoned') return `lock ${result.abandoned?.lock} is held by worker ${result.abandoned?.owner}, which is gone; ${result.abandoned?.waiters.length ?? 0} workers wait for it`
  return `a wait-for cycle of ${result.cycle.length} workers`
}

/** One run's verdict (Node's or CPython's: the same fields). */
function verdict (result, resolved) {
  return result.deadlocked
    ? `Deadlock (${result.kind ?? 'cycle'}): ${whatKind(result)}, found by ${result.detectedBy ?? '?'} after ${ms(result.detectedAfterMs)}, ${resolved}.`
    : `No deadlock (${result.strategy}): every worker ${result.perWorker.every((row) => row.acquired) ? 'took its locks' : 'finished'} in ${ms(result.ms)}.`
}

/** Workers on a ring; an arrow from each worker of the cycle to the worker holding the lock it waits for. */
function ring (result) {
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
  return picture
}

/** CPython's run: its verdict, and the stuck threads it cannot end, each with the line it is blocked on. */
function cpythonDeadlock (result) {
  const stuck = result.stuckThreads
  const parts = [el('p', { id: 'deadlock-cpython-verdict' }, verdict(result, 'not resolved: Python cannot kill a thread'))]
  if (stuck?.count > 0) {
    parts.push(
      el('p', {}, `${stuck.count} thread${stuck.count === 1 ? '' : 's'} stuck. Python cannot kill a thread; what becomes of them: ${stuck.fate}.`),
      el('ul', { class: 'stuck', 'aria-label': 'stuck CPython threads and where each is blocked' }, stuck.threads.map((thread) => el('li', {},
        `worker ${thread.worker}${thread.waitsFor === null ? '' : ` waits for lock ${thread.waitsFor}`}${thread.heldBy === null ? '' : ` held by worker ${thread.heldBy}`}: `,
        el('code', {}, thread.where ?? 'line unknown')))))
  }
  return parts
}

export function deadlockPicture (result) {
  return [
    el('p', { id: 'deadlock-verdict' }, verdict(result, `resolved by ${result.resolvedBy ?? '?'}`)),
    ring(result),
    cpythonBlock(result.cpython, 'lab-deadlock-cpython', cpythonDeadlock)
  ]
}
