// The compare's CPython part (answer.cpython, python/compare.py; docs/experiments.md "Beside CPython"): start-up of
// N threads against a process pool per start method, and the hash tasks through ThreadPoolExecutor and
// ProcessPoolExecutor — each beside the Node compare's figure at the same N, so the two read side by side.

import { cpythonBlock } from './lab-cpython.js'
import { el, ms, num, table } from './dom.js'

const START_METHODS = ['fork', 'forkserver', 'spawn']
/** Which Node mode runs what a CPython executor runs: threads beside ThreadPoolExecutor, processes beside ProcessPoolExecutor. */
const NODE_MODE = { ThreadPoolExecutor: 'threads', ProcessPoolExecutor: 'processes' }

/** The Node row of `mode` at `concurrency` (not the baseline), or undefined when the compare did not run it. */
const nodeRow = (answer, mode, concurrency) => answer.rows.find((row) => !row.baseline && row.mode === mode && row.concurrency === concurrency && row.status === 'succeeded')

function startupTable (answer, result) {
  const levels = result.startup.threads.map((entry) => entry.workers)
  const rows = levels.map((workers) => {
    const threads = result.startup.threads.find((entry) => entry.workers === workers)
    const pool = (method) => result.startup.processes.find((entry) => entry.startMethod === method && entry.workers === workers)
    return [`N = ${workers}`,
      ms(nodeRow(answer, 'threads', workers)?.startupMs), ms(nodeRow(answer, 'processes', workers)?.startupMs),
      `${ms(threads?.minMs)} (median ${ms(threads?.medianMs)})`,
      ...START_METHODS.map((method) => ms(pool(method)?.ms))]
  })
  return table(`Start-up of N workers: Node's runs beside CPython's threading.Thread × N (started and joined, fastest of 5) and ProcessPoolExecutor(N) until its first map returned (default start method here: ${result.defaultStartMethod})`,
    ['', 'Node threads', 'Node processes', 'CPython threads', ...START_METHODS.map((method) => `CPython ${method}`)],
    rows, { id: 'compare-cpython-startup' })
}

function hashTable (answer, result) {
  const rows = result.hash.map((run) => {
    const node = nodeRow(answer, NODE_MODE[run.executor], run.workers)
    return [run.executor, run.startMethod ?? '–', String(run.workers), run.input, ms(run.wallMs), num(run.tasksPerSec),
      node ? `${num(node.tasksPerSec)} (${node.mode}, ${ms(node.wallMs)})` : '–']
  })
  return table('The same hash tasks on CPython (wall: first submit to last result; the pool\'s start-up is not in it), beside Node\'s mode at the same N',
    ['executor', 'start method', 'workers', 'input', 'wall', 'tasks/s', 'Node tasks/s (mode, wall)'],
    rows, { id: 'compare-cpython-hash' })
}

/** The parts to append to the compare's answer: nothing unless cpython was asked for. */
export function compareCpython (answer) {
  return cpythonBlock(answer.cpython, 'compare-cpython', (result) => [
    startupTable(answer, result),
    result.hash.length > 0 ? hashTable(answer, result) : el('p', { class: 'hint' }, 'No hash runs: CPython runs the compare\'s tasks for the hash workload only.'),
    result.absent.length > 0
      ? el('ul', { id: 'compare-cpython-absent' }, result.absent.map((entry) => el('li', {}, `not run: ${entry.what} — ${entry.reason}`)))
      : undefined,
    el('p', { class: 'hint' }, `${result.cores} cores; the script took ${ms(result.totalMs)} without the interpreter's start-up. CPython's hashlib drops the GIL for 2 KiB or more, so its threads hash in parallel; its data is made with hashlib, so the digests differ from Node's.`)
  ])
}
