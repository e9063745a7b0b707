import type { Comparison as CompareAnswer } from '../labs/compare-schema.js'
import type { CpythonCompareResult } from '../labs/compare-cpython.js'
import { fixed } from './number-format.js'
import { renderTable, type TableModel } from './table-render.js'

/**
 * `conclab compare --cpython`: the answer's `cpython` field (python/compare.py, run by the service after the Node
 * runs) under the Node tables — CPython's start-up per worker count (threading.Thread, then a ProcessPoolExecutor
 * per start method), the same hash tasks through ThreadPoolExecutor and ProcessPoolExecutor, and what did not run.
 * Its numbers are printed as the service answered them; nothing is compared with the Node rows here (the web page
 * and docs/labs/cpython.md do that), so the two sets of figures stay side by side, not mixed.
 */
export type CpythonPart = CompareAnswer['cpython']

const START_METHODS = ['fork', 'forkserver', 'spawn'] as const
const msCell = (value: number | undefined) => value === undefined ? '-' : fixed(value)

/** One row per way of starting workers, one column per worker count: start-up in ms (a '-' where it did not run). */
export function cpythonStartupModel (result: CpythonCompareResult): TableModel {
  const levels = [...new Set([
    ...result.startup.threads.map((entry) => entry.workers),
    ...result.startup.processes.map((entry) => entry.workers)
  ])].sort((a, b) => a - b)
  const threads = new Map(result.startup.threads.map((entry) => [entry.workers, entry.minMs]))
  const methods = START_METHODS.filter((method) => result.startup.processes.some((entry) => entry.startMethod === method))
  const processMs = (method: string, workers: number) =>
    result.startup.processes.find((entry) => entry.startMethod === method && entry.workers === workers)?.ms
  return {
    head: ['start-up ms', ...levels.map((workers) => `${workers} worker${workers === 1 ? '' : 's'}`)],
    rows: [
      ['threading.Thread (min of 5)', ...levels.map((workers) => msCell(threads.get(workers)))],
      ...methods.map((method) => [`${method} (ProcessPoolExecutor)`, ...levels.map((workers) => msCell(processMs(method, workers)))])
    ]
  }
}

/** The hash tasks: one row per executor and worker count, as python/compare.py ran them. */
export function cpythonHashModel (result: CpythonCompareResult): TableModel {
  return {
    head: ['executor', 'start', 'workers', 'input', 'start-up ms', 'wall ms', 'tasks/s'],
    align: ['left', 'left', 'right', 'left', 'right', 'right', 'right'],
    rows: result.hash.map((run) => [run.executor, run.startMethod ?? '-', String(run.workers), run.input,
      fixed(run.startupMs), fixed(run.wallMs), run.tasksPerSec === null ? '-' : fixed(run.tasksPerSec)])
  }
}

/** The CPython sections for the terminal or Markdown; one line when the original did not run (or the service has no such field). */
export function renderCpythonPart (cpython: CpythonPart | undefined, format: 'table' | 'md'): string[] {
  if (cpython === undefined) return ['cpython: did not run: the service answered no cpython field (an older version?)']
  const result = cpython.result
  if (!cpython.ran || result === undefined) return [`cpython: did not run: ${cpython.reason ?? 'no reason given'}`]
  const python = cpython.python
  const took = cpython.ms === undefined ? `${fixed(result.totalMs)} ms` : `${fixed(result.totalMs)} ms (${fixed(cpython.ms)} ms with the interpreter's start-up)`
  const sections = [
    `cpython · ${python ? `Python ${python.version} (${python.build})` : 'Python'} · ${cpython.script ?? 'python/compare.py'} · ` +
      `${result.cores} cores, default start method ${result.defaultStartMethod} · ${took}`,
    renderTable(cpythonStartupModel(result), format)
  ]
  if (result.hash.length > 0) {
    sections.push('the hash tasks: start-up = pool created until every worker had run a task (not in wall ms); wall ms = first submit → last result',
      renderTable(cpythonHashModel(result), format))
  }
  if (result.absent.length > 0) {
    sections.push(result.absent.map((entry) => `cpython: absent: ${entry.what}: ${entry.reason}`).join(format === 'md' ? '  \n' : '\n'))
  }
  return sections
}
