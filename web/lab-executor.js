// The executor lab's answer: per collecting style (map, as-completed, fire-and-forget) when the caller got its first
// and its last outcome, the order it got them in, and the tasks' exceptions raised, seen by the caller and lost — the
// Node run's row beside CPython's run of python/executor.py (ThreadPoolExecutor) on the same tasks.

import { el, ms, table } from './dom.js'
import { cpythonBlock } from './lab-cpython.js'

const LESSONS = {
  map: 'results in submission order: the first waits for task 0, and the first exception ends the loop',
  'as-completed': 'each outcome as its task ends: the short tasks first',
  'fire-and-forget': 'submitted and never asked: every exception is lost (Node at least reports the unhandled rejections; a Future keeps its exception silently)'
}

/** One row: the style and run, then its figures. */
function styleRow (row, run) {
  return [
    `${row.style}, ${run}`,
    ms(row.firstResultMs),
    ms(row.allResultsMs),
    ms(row.drainedMs),
    row.order.length > 0 ? row.order.join(' ') : 'none asked for',
    `${row.exceptionsRaised} / ${row.exceptionsSeen} / ${row.exceptionsLost}`,
    String(row.reportedByRuntime),
    String(row.cancelled)
  ]
}

export function executorPicture (result) {
  const python = result.cpython?.ran ? result.cpython.result : undefined
  const pythonRun = python ? `CPython ${result.cpython.python?.version ?? ''}`.trim() : undefined
  const rows = result.styles.flatMap((row) => {
    const theirs = python?.styles.find((one) => one.style === row.style)
    return [styleRow(row, 'Node'), ...(theirs ? [styleRow(theirs, pythonRun)] : [])]
  })
  return [
    el('p', {}, `${result.tasks} tasks on a pool of ${result.workers} threads, sleeping ${result.durationsMs.join(', ')} ms in submission order; ${result.failing.length > 0 ? `task${result.failing.length === 1 ? '' : 's'} ${result.failing.join(', ')} throw${result.failing.length === 1 ? 's' : ''}` : 'none throws'}.`),
    result.callerDied
      ? el('p', { class: 'warnings', id: 'lab-executor-died' }, `The caller thread died collecting ${result.callerDied.style}: ${result.callerDied.error} (no 'unhandledRejection' listener: Node's default ends the thread at the first one); the styles before it are shown.`)
      : undefined,
    table(python ? 'Each style, Node beside CPython (ms from submission)' : 'Each style (ms from submission; tick cpython to run CPython beside it)',
      ['style, run', 'first result', 'all results', 'every task done', 'order received', 'exceptions raised / seen / lost', 'reported by the runtime', 'tasks cancelled'],
      rows, { id: 'lab-executor-table' }),
    el('ul', { class: 'meanings' }, result.styles.map((row) => el('li', {}, el('strong', {}, row.style), ` — ${LESSONS[row.style] ?? ''}`))),
    cpythonBlock(result.cpython, 'lab-executor-cpython', (cpython) => [
      el('p', { class: 'hint' }, `Every style in ${ms(cpython.ms)}; its rows are in the table above. A Future keeps its exception: CPython wrote ${cpython.styles.reduce((sum, row) => sum + row.reportedByRuntime, 0)} lines about the lost ones.`)
    ])
  ]
}
