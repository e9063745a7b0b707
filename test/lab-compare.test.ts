import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Comparison, CompareRow } from '../src/labs/compare-schema.js'
import { testConfig } from '../src/config.js'
import { ModeRegistry } from '../src/executors/registry.js'
import { karpFlatt } from '../src/labs/compare.js'
import { buildTestApp, listenTestApp, waitFor } from './support/app.js'
import { parseCsv } from './support/csv.js'
import { pythonForTests } from './support/python.js'

/** POST /experiments/compare: one job per (mode, concurrency) after an inline baseline, as JSON, text and CSV. */

const MODES = ['inline', 'async', 'threads', 'pool', 'processes'] as const
const cpuBound = { workload: 'hash', tasks: 40, params: { rounds: 20 } }
const ioBound = { workload: 'db', tasks: 40, params: { latencyMs: 2 } }

async function compare (app: FastifyInstance, body: Record<string, unknown>, accept = 'application/json') {
  return app.inject({ method: 'POST', url: '/experiments/compare', headers: { accept }, payload: body })
}

async function compareJson (app: FastifyInstance, body: Record<string, unknown>): Promise<Comparison> {
  const response = await compare(app, body)
  assert.equal(response.statusCode, 200, response.body)
  return response.json()
}

/** speedup = baseline wall ÷ wall, to the 4 decimals it is rounded to. */
function assertSpeedupConsistent (comparison: Comparison, row: CompareRow): void {
  assert.ok(row.speedup !== null && row.wallMs !== null && comparison.baseline.wallMs !== null, `${row.mode} at ${row.concurrency} has a speedup`)
  const expected = comparison.baseline.wallMs / row.wallMs
  assert.ok(Math.abs(row.speedup - expected) <= 1e-4, `${row.mode} at ${row.concurrency}: speedup ${row.speedup}, baseline ÷ wall = ${expected}`)
}

test('every mode at 1 and 2: one row per combination asked, the rest skipped with the reason, speedups consistent', async (t) => {
  const app = await buildTestApp(t)
  const levels = [1, 2]
  const comparison = await compareJson(app, { ...cpuBound, concurrency: levels })

  // One row or one skipped entry per mode × level asked; the baseline is the inline row at 1, run first.
  assert.equal(comparison.rows.length + comparison.skipped.length, MODES.length * levels.length)
  for (const mode of MODES) {
    for (const level of levels) {
      const rows = comparison.rows.filter((row) => row.mode === mode && row.concurrency === level)
      const skipped = comparison.skipped.filter((run) => run.mode === mode && run.concurrency === level)
      assert.equal(rows.length + skipped.length, 1, `${mode} at ${level}: ${rows.length} rows, ${skipped.length} skipped`)
    }
  }
  assert.deepEqual(comparison.skipped, [{ mode: 'inline', concurrency: 2, reason: 'body/concurrency must be <= 1 in mode inline (inline runs one task at a time)' }])
  const [baseline, ...others] = comparison.rows
  assert.deepEqual([baseline!.mode, baseline!.concurrency, baseline!.baseline, baseline!.speedup], ['inline', 1, true, 1])
  assert.equal(comparison.baseline.jobId, baseline!.jobId)
  assert.equal(comparison.baseline.wallMs, baseline!.wallMs)
  assert.ok(others.every((row) => !row.baseline))
  assert.equal(new Set(comparison.rows.map((row) => row.jobId)).size, comparison.rows.length, 'one job per run')

  const cores = availableParallelism()
  assert.equal(comparison.cores, cores)
  assert.equal(comparison.env?.cores, cores)
  for (const row of comparison.rows) {
    assert.equal(row.status, 'succeeded', `${row.mode} at ${row.concurrency}: ${JSON.stringify(row.error)}`)
    assertSpeedupConsistent(comparison, row)
    assert.equal(row.workers, app.lab.modes.get(row.mode).workersFor(row.concurrency, app.lab.config))
    assert.ok(Math.abs(row.efficiency! - row.speedup! / row.workers) <= 1e-3)
    assert.ok(Math.abs(row.efficiencyPerCore! - row.speedup! / cores) <= 1e-3)
    assert.ok(row.tasksPerSec! > 0 && row.cpuUtilization !== null && row.coresUsed !== null && row.startupMs !== null)
    if (row.workers === 1) assert.equal(row.serialFraction, null, `${row.mode} at ${row.concurrency}: one worker, no Karp–Flatt`)
  }

  // Karp–Flatt on the threads row at 2: e = (1/S − 1/p) / (1 − 1/p) with p = 2.
  const threads2 = comparison.rows.find((row) => row.mode === 'threads' && row.concurrency === 2)!
  assert.equal(threads2.workers, 2)
  const s = comparison.baseline.wallMs! / threads2.wallMs!
  const expected = (1 / s - 1 / 2) / (1 - 1 / 2)
  assert.ok(Math.abs(threads2.serialFraction! - expected) <= 1e-3, `serial ${threads2.serialFraction}, expected ${expected}`)

  // The jobs are ordinary jobs: the scheduler ran them one after another, never overlapping.
  const jobs = await Promise.all(comparison.rows.map(async (row) => (await app.inject({ url: `/jobs/${row.jobId}` })).json()))
  for (let i = 1; i < jobs.length; i++) {
    assert.ok(Date.parse(jobs[i].startedAt) >= Date.parse(jobs[i - 1].finishedAt), 'runs do not overlap')
    assert.equal(jobs[i].spec.tasks, cpuBound.tasks)
  }
})

test('the baseline runs first even when inline is not asked; the event loop overlaps I/O-bound db queries', async (t) => {
  const app = await buildTestApp(t)
  const comparison = await compareJson(app, { ...ioBound, modes: ['async'], concurrency: [1, 8] })
  assert.deepEqual(comparison.rows.map((row) => [row.mode, row.concurrency, row.baseline]),
    [['inline', 1, true], ['async', 1, false], ['async', 8, false]])
  assert.deepEqual(comparison.skipped, [])
  for (const row of comparison.rows) assertSpeedupConsistent(comparison, row)
  const async8 = comparison.rows[2]!
  assert.equal(async8.workers, 1)
  assert.equal(async8.serialFraction, null)
  // 40 queries of 2 ms: one at a time ≥ 80 ms, 8 in flight ≈ 10 ms. A wide margin for a loaded machine.
  assert.ok(async8.speedup! > 2, `async at 8 ran ${async8.speedup}× inline`)
  assert.equal(comparison.spec.workload, 'db')
  assert.deepEqual(comparison.spec.params, { latencyMs: 2, driver: 'async', errorRate: 0 })
})

test('text/plain is an aligned table and text/csv a header with one row per run, skipped ones last', async (t) => {
  const app = await buildTestApp(t)
  const body = { ...cpuBound, modes: ['inline', 'threads'], concurrency: [1, 2] }

  const text = await compare(app, body, 'text/plain')
  assert.equal(text.statusCode, 200, text.body)
  assert.match(String(text.headers['content-type']), /^text\/plain/)
  const lines = text.body.split('\n')
  const headerAt = lines.findIndex((line) => line.startsWith('mode '))
  assert.ok(headerAt > 0, text.body)
  assert.deepEqual(lines[headerAt]!.split(/\s{2,}/),
    ['mode', 'conc', 'wall ms', 'tasks/s', 'speedup', 'eff', 'eff/core', 'serial', 'cpu', 'cores used', 'startup ms', 'status'])
  const tableRows = lines.slice(headerAt + 1, lines.indexOf('', headerAt))
  assert.deepEqual(tableRows.map((line) => line.split(/\s+/).slice(0, 2)), [['inline', '*'], ['threads', '1'], ['threads', '2']])
  assert.match(tableRows[0]!, /^inline \* +1 +[\d.]+ +[\d.]+ +1\.00 +1\.00 /)
  assert.ok(tableRows.every((line) => line.endsWith('succeeded')))
  // Right-aligned numbers: every row ends its speedup column where the header does.
  const speedupEnd = lines[headerAt]!.indexOf('speedup') + 'speedup'.length
  for (const line of tableRows) assert.match(line.slice(speedupEnd - 4, speedupEnd), /^\d\.\d\d$/, line)
  assert.match(text.body, /\nskipped\n {2}inline at 2: body\/concurrency must be <= 1 in mode inline/)
  assert.match(text.body, /^compare +hash +tasks=40 /)

  const csv = await compare(app, body, 'text/csv')
  assert.equal(csv.statusCode, 200, csv.body)
  assert.match(String(csv.headers['content-type']), /^text\/csv/)
  const [header, ...rows] = parseCsv(csv.body)
  assert.deepEqual(header, ['mode', 'concurrency', 'workers', 'baseline', 'status', 'wallMs', 'tasksPerSec', 'speedup', 'efficiency',
    'efficiencyPerCore', 'serialFraction', 'cpuUtilization', 'coresUsed', 'startupMs', 'jobId', 'note', 'warnings'])
  assert.deepEqual(rows.map((row) => [row[0], row[1], row[4]]),
    [['inline', '1', 'succeeded'], ['threads', '1', 'succeeded'], ['threads', '2', 'succeeded'], ['inline', '2', 'skipped']])
  const column = (name: string) => header!.indexOf(name)
  const baselineWall = Number(rows[0]![column('wallMs')])
  for (const row of rows.slice(0, 3)) {
    assert.equal(row.length, header!.length)
    const speedup = Number(row[column('speedup')])
    assert.ok(Math.abs(speedup - baselineWall / Number(row[column('wallMs')])) <= 1e-4, row.join(','))
  }
  assert.equal(rows[0]![column('baseline')], 'true')
  assert.equal(rows[0]![column('serialFraction')], '', 'no Karp–Flatt for one worker')
  assert.notEqual(rows[2]![column('serialFraction')], '')
  assert.match(rows[3]![column('note')]!, /must be <= 1 in mode inline/)
})

test('modes × levels over MAX_COMPARE_RUNS is a 400 naming the fields and the limit, and runs nothing', async (t) => {
  const app = await buildTestApp(t, { MAX_COMPARE_RUNS: 3 })
  const response = await compare(app, { ...cpuBound, modes: ['async', 'threads'], concurrency: [1, 2] })
  assert.equal(response.statusCode, 400)
  const error = response.json()
  assert.equal(error.code, 'INVALID_FIELD')
  assert.equal(error.message, 'body/modes × body/concurrency must be <= 3 runs (MAX_COMPARE_RUNS); got 2 × 2 = 4')
  // More levels than MAX_COMPARE_RUNS fail in the schema already.
  const tooMany = await compare(app, { ...cpuBound, modes: ['async'], concurrency: [1, 2, 3, 4] })
  assert.equal(tooMany.statusCode, 400)
  assert.match(tooMany.json().message, /^body\/concurrency must NOT have more than 3 items/)
  assert.deepEqual((await app.inject({ url: '/jobs' })).json().jobs, [], 'no job was submitted')
  // At the limit it runs (the baseline is not counted).
  const atLimit = await compareJson(app, { ...cpuBound, modes: ['async'], concurrency: [1, 2, 3] })
  assert.equal(atLimit.rows.length, 4)
})

test('bad bodies are 400s naming the field: an invalid mode, a repeated level, a job-spec limit, an unknown field', async (t) => {
  const app = await buildTestApp(t)
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...cpuBound, modes: ['inline', 'fibers'] }, /^body\/modes\/1 must be one of: inline, async, threads, pool, processes, cluster$/],
    [{ ...cpuBound, modes: [] }, /^body\/modes must NOT have fewer than 1 items/],
    [{ ...cpuBound, concurrency: [2, 2] }, /^body\/concurrency must NOT have duplicate items/],
    [{ ...cpuBound, concurrency: [0] }, /^body\/concurrency\/0 must be >= 1/],
    [{ ...cpuBound, tasks: 0 }, /^body\/tasks must be >= 1 \(MAX_TASKS\)/],
    [{ ...cpuBound, params: { rounds: 0 } }, /^body\/params\/rounds must be >= 1/],
    [{ ...cpuBound, params: { bytes: 16_777_216, rounds: 100_000 } }, /^body\/params\/bytes × body\/params\/rounds must be <= \d+ per task \(MAX_HASH_TASK_BYTES\)/],
    [{ ...cpuBound, mode: 'threads' }, /^body must not have the property 'mode'/],
    [{ ...cpuBound, workload: 'gpu' }, /^body\/workload must be one of: hash, db, net, file/]
  ]
  for (const [body, message] of cases) {
    const response = await compare(app, body)
    assert.equal(response.statusCode, 400, `${JSON.stringify(body)}: ${response.body}`)
    assert.match(response.json().message, message)
  }
  assert.deepEqual((await app.inject({ url: '/jobs' })).json().jobs, [], 'no job was submitted')
})

test('a run that fails keeps its row with its status; with no successful baseline there are no speedups', async (t) => {
  const app = await buildTestApp(t)
  // 10 queries of 50 ms one at a time outlast a 150 ms timeout; 10 in flight do not.
  const comparison = await compareJson(app, { workload: 'db', tasks: 10, params: { latencyMs: 50 }, timeoutMs: 150, modes: ['async'], concurrency: [1, 10] })
  assert.deepEqual(comparison.rows.map((row) => [row.mode, row.concurrency, row.status, row.error?.code ?? null]),
    [['inline', 1, 'failed', 'JOB_TIMEOUT'], ['async', 1, 'failed', 'JOB_TIMEOUT'], ['async', 10, 'succeeded', null]])
  assert.equal(comparison.baseline.status, 'failed')
  assert.ok(comparison.rows.every((row) => row.speedup === null && row.efficiency === null && row.serialFraction === null))
  assert.ok(comparison.rows.every((row) => row.wallMs !== null), 'partial runs keep their measured wall time')
})

test('a client that disconnects cancels the running job and no further runs start', async (t) => {
  const { app, url } = await listenTestApp(t)
  const controller = new AbortController()
  // A 2 s baseline (40 queries of 50 ms one at a time), then two more runs that must never start.
  const request = fetch(`${url}/experiments/compare`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workload: 'db', tasks: 40, params: { latencyMs: 50 }, modes: ['async'], concurrency: [1, 2] }),
    signal: controller.signal
  }).catch((error: Error) => error)
  await waitFor(() => app.lab.scheduler.runningCount === 1, 10_000, 'the baseline to start')
  const [baseline] = app.lab.scheduler.list(undefined, 10)
  controller.abort()
  assert.equal((await request as Error).name, 'AbortError')
  await baseline!.ended()
  assert.equal(baseline!.status, 'cancelled')
  assert.ok(baseline!.report!.tasks.notRun > 0, 'stopped before the end')
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.deepEqual(app.lab.scheduler.list(undefined, 10).map((job) => job.id), [baseline!.id], 'no run after the disconnect')
})

test('gil and switchIntervalMs reach every run when the job spec has them', async (t) => {
  const app = await buildTestApp(t)
  if (!('gil' in app.lab.specs.schema.properties)) return t.skip('jobs have no gil field')
  const comparison = await compareJson(app, { ...cpuBound, tasks: 4, gil: true, switchIntervalMs: 2, modes: ['threads'], concurrency: [2] })
  assert.equal(comparison.rows.length, 2)
  for (const row of comparison.rows) {
    const job = (await app.inject({ url: `/jobs/${row.jobId}` })).json()
    assert.equal(job.spec.gil, true)
    assert.equal(job.spec.switchIntervalMs, 2)
  }
  // Left out, the job spec's default applies.
  const plain = await compareJson(app, { ...cpuBound, tasks: 4, modes: ['threads'], concurrency: [1] })
  assert.equal((await app.inject({ url: `/jobs/${plain.rows[1]!.jobId}` })).json().spec.gil, false)
})

test('workers and the Karp–Flatt serial fraction', () => {
  const config = testConfig({ POOL_SIZE: 2 })
  const workersOf = (mode: string, concurrency: number) => new ModeRegistry().get(mode).workersFor(concurrency, config)
  assert.equal(workersOf('threads', 4), 4)
  assert.equal(workersOf('processes', 3), 3)
  assert.equal(workersOf('pool', 4), 2)
  assert.equal(workersOf('pool', 1), 1)
  assert.equal(workersOf('async', 16), 1)
  assert.equal(workersOf('inline', 1), 1)
  assert.equal(karpFlatt(2, 2), 0) // perfect scaling: nothing serial
  assert.equal(karpFlatt(1, 2), 1) // no gain: all serial
  assert.ok(Math.abs(karpFlatt(3, 4)! - 1 / 9) < 1e-12) // (1/3 − 1/4) / (3/4)
  assert.equal(karpFlatt(5, 1), null)
})

const python = await pythonForTests()

test('cpython: true runs python/compare.py after the Node runs: start-up per start method, the hash tasks through both executors', { skip: python.skip }, async (t) => {
  const app = await buildTestApp(t, { PYTHON: python.executable })
  const body = { workload: 'hash', tasks: 8, params: { bytes: 65536, rounds: 2, input: 'shipped' }, modes: ['threads', 'processes'], concurrency: [1, 2], cpython: true }
  const comparison = await compareJson(app, body)
  assert.deepEqual(comparison.rows.map((row) => row.status), ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded'], 'the Node runs come first and stand')
  const { cpython } = comparison
  assert.equal(cpython.ran, true, cpython.reason)
  assert.equal(cpython.script, 'python/compare.py')
  const result = cpython.result!
  assert.deepEqual(result.startup.threads.map((entry) => entry.workers), [1, 2])
  const startMethods = [...new Set(result.startup.processes.map((entry) => entry.startMethod))]
  assert.ok(startMethods.includes('spawn') && startMethods.includes('fork'), startMethods.join(', '))
  // Two threads of one interpreter start in microseconds; any process pool takes milliseconds at least. The fastest
  // of the five thread starts: a median can land on a preempted one while other load shares the two cores.
  const slowestThreads = Math.max(...result.startup.threads.map((entry) => entry.minMs))
  const fastestPool = Math.min(...result.startup.processes.map((entry) => entry.ms))
  assert.ok(slowestThreads < fastestPool, `threads ${slowestThreads} ms vs the fastest pool ${fastestPool} ms`)
  // spawn starts a fresh interpreter (as Node's fork() does); fork copies the parent.
  const fastest = (method: string) => Math.min(...result.startup.processes.filter((entry) => entry.startMethod === method).map((entry) => entry.ms))
  assert.ok(fastest('spawn') > fastest('fork'), `spawn ${fastest('spawn')} ms vs fork ${fastest('fork')} ms`)
  assert.deepEqual(result.hash.map((row) => `${row.executor} ${row.workers} ${row.input}`),
    ['ThreadPoolExecutor 1 reference', 'ThreadPoolExecutor 2 reference', 'ProcessPoolExecutor 1 shipped', 'ProcessPoolExecutor 2 shipped'])
  for (const row of result.hash) {
    assert.ok(row.wallMs > 0 && row.tasksPerSec! > 0, JSON.stringify(row))
    assert.equal(row.firstResults.length, 3)
    assert.ok(row.firstResults.every((digest) => /^[0-9a-f]{64}$/.test(digest)))
  }
  // The same task gives the same digest in a thread and in a child (the data pickled or not).
  assert.deepEqual(new Set(result.hash.map((row) => row.firstResults.join())).size, 1)
  assert.deepEqual(result.absent, [])
  const text = await compare(app, { ...body, modes: ['threads'], concurrency: [1] }, 'text/plain')
  assert.match(text.body, /\ncpython {2}3\.\d+\.\d+ \((gil|free-threaded)[^\n]*default start method \w+/)
  assert.match(text.body, /\n {2}ProcessPoolExecutor +1 +shipped +[\d.]+/)
})

test('cpython: the original runs only the hash workload; left out, the answer says it was not requested', { skip: python.skip }, async (t) => {
  const app = await buildTestApp(t, { PYTHON: python.executable })
  const db = await compareJson(app, { workload: 'db', tasks: 4, params: { latencyMs: 1 }, modes: ['async'], concurrency: [1], cpython: true })
  assert.equal(db.cpython.ran, true, db.cpython.reason)
  assert.deepEqual(db.cpython.result!.hash, [])
  assert.deepEqual(db.cpython.result!.absent.filter((entry) => entry.what === 'hash tasks').map((entry) => entry.reason),
    ['the Python original runs the hash workload only (this compare ran db)'])
  const plain = await compareJson(app, { workload: 'db', tasks: 4, params: { latencyMs: 1 }, modes: ['async'], concurrency: [1] })
  assert.deepEqual(plain.cpython, { ran: false, reason: 'not requested: set "cpython": true to run the Python original too' })
  const text = await compare(app, { workload: 'db', tasks: 4, params: { latencyMs: 1 }, modes: ['async'], concurrency: [1] }, 'text/plain')
  assert.doesNotMatch(text.body, /cpython/)
})
