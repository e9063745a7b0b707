/**
 * `conclab compare --cpython`: the answer's cpython field printed after the Node tables, from a recorded answer
 * (python/compare.py's output on the 2-core test machine, tasks 8, bytes 65536, rounds 2, levels 1 and 2, with one
 * start method made absent) checked against the service's own schema first, so the fixture cannot drift from it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Value } from 'typebox/value'
import { compareBody, renderCompare } from '../src/cli/compare-command.js'
import { cpythonHashModel, cpythonStartupModel, renderCpythonPart } from '../src/cli/cpython-compare.js'
import { ComparisonSchema, type Comparison } from '../src/labs/compare-schema.js'
import type { CpythonCompareResult } from '../src/labs/compare-cpython.js'

const digests = ['f4776574b386f53245e5e3a022da9e2e68bd1972d638bcd00730667e6b54a76a']

const result: CpythonCompareResult = {
  cores: 2,
  defaultStartMethod: 'fork',
  startup: {
    threads: [{ workers: 1, minMs: 0.051, medianMs: 0.182 }, { workers: 2, minMs: 1.007, medianMs: 1.48 }],
    processes: [
      { startMethod: 'fork', workers: 1, ms: 4.187 }, { startMethod: 'fork', workers: 2, ms: 5.998 },
      { startMethod: 'spawn', workers: 1, ms: 52.594 } // spawn at 2: past maxMs (see absent)
    ]
  },
  hash: [
    { executor: 'ThreadPoolExecutor', startMethod: null, workers: 1, input: 'reference', startupMs: 15.686, wallMs: 1.342, tasksPerSec: 5961.3, firstResults: digests },
    { executor: 'ProcessPoolExecutor', startMethod: 'spawn', workers: 2, input: 'seeded', startupMs: 114.932, wallMs: 1.138, tasksPerSec: null, firstResults: digests }
  ],
  absent: [
    { what: 'start method forkserver', reason: 'not available on this platform' },
    { what: 'spawn start-up at 2', reason: 'past maxMs' }
  ],
  totalMs: 677.654
}

const cpython: Comparison['cpython'] = {
  ran: true,
  python: { executable: '/usr/bin/python3', version: '3.11.2', implementation: 'cpython', build: 'gil', gilEnabled: true, compiler: 'GCC 12.2.0', switchIntervalMs: 5 },
  script: 'python/compare.py',
  ms: 742.5,
  result
}

const answer: Comparison = {
  spec: { workload: 'hash', tasks: 8 },
  cores: 2,
  poolSize: 2,
  baseline: { wallMs: null, status: null, jobId: null },
  rows: [],
  skipped: [],
  scaling: [],
  env: null,
  elapsedMs: 1234,
  cpython
}

/** a boxed table's body rows as trimmed cells (cli-table3 draws │ between cells) */
const cellsOf = (table: string) => table.split('\n').filter((line) => line.startsWith('│'))
  .map((line) => line.slice(1, -1).split('│').map((cell) => cell.trim()))

test('the recorded answer is what the service answers (ComparisonSchema)', () => {
  assert.ok(Value.Check(ComparisonSchema, answer), JSON.stringify([...Value.Errors(ComparisonSchema, answer)].slice(0, 3)))
})

test('--cpython is sent as cpython: true; without it the body has no cpython field', () => {
  assert.equal(compareBody({ workload: 'hash', cpython: true, format: 'table', quiet: true }).cpython, true)
  assert.equal('cpython' in compareBody({ workload: 'hash', format: 'table', quiet: true }), false)
})

test('start-up: a row per way of starting workers, a column per worker count, - where it did not run', () => {
  const model = cpythonStartupModel(result)
  assert.deepEqual(model.head, ['start-up ms', '1 worker', '2 workers'])
  assert.deepEqual(model.rows, [
    ['threading.Thread (min of 5)', '0.051', '1.01'],
    ['fork (ProcessPoolExecutor)', '4.19', '6.00'],
    ['spawn (ProcessPoolExecutor)', '52.59', '-']
  ], 'forkserver is absent: no row')
})

test('hash: one row per executor and worker count, null start method and tasks/s as -', () => {
  assert.deepEqual(cpythonHashModel(result).rows, [
    ['ThreadPoolExecutor', '-', '1', 'reference', '15.69', '1.34', '5961.3'],
    ['ProcessPoolExecutor', 'spawn', '2', 'seeded', '114.9', '1.14', '-']
  ])
})

test('the terminal rendering: title, both tables, then what was absent', () => {
  const sections = renderCpythonPart(cpython, 'table')
  assert.equal(sections[0], 'cpython · Python 3.11.2 (gil) · python/compare.py · 2 cores, default start method fork · 677.7 ms (742.5 ms with the interpreter\'s start-up)')
  assert.deepEqual(cellsOf(sections[1]!), [
    ['start-up ms', '1 worker', '2 workers'],
    ['threading.Thread (min of 5)', '0.051', '1.01'],
    ['fork (ProcessPoolExecutor)', '4.19', '6.00'],
    ['spawn (ProcessPoolExecutor)', '52.59', '-']
  ])
  assert.match(sections[2]!, /^the hash tasks: /)
  assert.deepEqual(cellsOf(sections[3]!)[0], ['executor', 'start', 'workers', 'input', 'start-up ms', 'wall ms', 'tasks/s'])
  assert.deepEqual(cellsOf(sections[3]!)[2], ['ProcessPoolExecutor', 'spawn', '2', 'seeded', '114.9', '1.14', '-'])
  assert.equal(sections[4], 'cpython: absent: start method forkserver: not available on this platform\ncpython: absent: spawn start-up at 2: past maxMs')
  assert.equal(sections.length, 5)
})

test('another workload: no hash table; Markdown tables with --md', () => {
  const sections = renderCpythonPart({ ...cpython, result: { ...result, hash: [], absent: [] } }, 'md')
  assert.equal(sections.length, 2)
  assert.equal(sections[1]!.split('\n')[0], '| start-up ms | 1 worker | 2 workers |')
  assert.equal(sections[1]!.split('\n')[3], '| fork (ProcessPoolExecutor) | 4.19 | 6.00 |')
})

test('did not run: one line with the service\'s reason', () => {
  assert.deepEqual(renderCpythonPart({ ran: false, reason: 'no python3 on PATH' }, 'table'), ['cpython: did not run: no python3 on PATH'])
  assert.deepEqual(renderCpythonPart(undefined, 'table'), ['cpython: did not run: the service answered no cpython field (an older version?)'])
})

test('renderCompare: the CPython part after the Node tables only with --cpython; --json is the answer as it came', () => {
  const withIt = renderCompare(answer, 'table', { cpython: true })
  const nodeTable = withIt.indexOf('│ mode')
  const cpythonTitle = withIt.indexOf('cpython · Python 3.11.2')
  assert.ok(nodeTable >= 0 && cpythonTitle > nodeTable, 'after the Node rows')
  assert.doesNotMatch(renderCompare(answer, 'table'), /cpython/)
  assert.deepEqual(JSON.parse(renderCompare(answer, 'json', { cpython: true })), answer)
  assert.match(renderCompare({ ...answer, cpython: { ran: false, reason: 'not requested' } }, 'table', { cpython: true }), /\n\ncpython: did not run: not requested$/)
})
