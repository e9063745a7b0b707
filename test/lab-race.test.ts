import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { liveWorkers } from '../src/threads/live-workers.js'
import { buildTestApp, waitFor } from './support/app.js'

interface Tally { expected: number, actual: number, lostUpdates: number, ms: number, startupMs: number, meaning: string }
interface RaceReport {
  gil: boolean
  workers: number
  increments: number
  cores: number
  results: Array<Tally & { strategy: string, opsPerSec: number, python: string }>
  record?: { workers: number, updates: number, delayMs: number, results: Array<Tally & { locked: boolean }> }
}

/** POST /labs/race, expecting 200; every lab thread has exited by the time it answers. */
async function race (app: FastifyInstance, body: Record<string, unknown>): Promise<RaceReport> {
  const response = await app.inject({ method: 'POST', url: '/labs/race', payload: body })
  assert.equal(response.statusCode, 200, response.body)
  assert.equal(liveWorkers.count('labs'), 0, 'every lab thread has exited when the lab answers')
  return response.json()
}

test('atomic and mutex end exactly at workers × increments', async (t) => {
  const app = await buildTestApp(t)
  const report = await race(app, { workers: 4, increments: 200_000, strategies: ['atomic', 'mutex'] })
  assert.equal(report.cores, availableParallelism())
  assert.deepEqual(report.results.map((result) => result.strategy), ['atomic', 'mutex'])
  assert.equal(report.gil, false, 'no GIL unless asked for')
  assert.deepEqual(report.results.map((result) => result.python), ['none: Python has no atomic add on an int (use a threading.Lock, as mutex does)', 'with lock: x += 1'])
  for (const result of report.results) {
    assert.equal(result.expected, 800_000, result.strategy)
    assert.equal(result.actual, 800_000, result.strategy)
    assert.equal(result.lostUpdates, 0, result.strategy)
    assert.ok(result.ms > 0 && result.opsPerSec > 0, `${result.strategy}: ${JSON.stringify(result)}`)
  }
  assert.equal((await app.inject({ url: '/readyz' })).json().workers.threads, 0)
})

test('unsafe read-modify-write without the GIL (the free-threaded 3.13t / C case) loses updates on two or more cores', async (t) => {
  if (availableParallelism() < 2) {
    t.skip(`needs >= 2 cores for threads to overlap; this machine has ${availableParallelism()}`)
    return
  }
  const app = await buildTestApp(t)
  const losses: number[] = []
  for (let attempt = 0; attempt < 5 && !losses.some((lost) => lost > 0); attempt++) {
    const [result] = (await race(app, { workers: 4, increments: 2_000_000, strategies: ['unsafe'] })).results
    assert.ok(result)
    assert.equal(result.expected, 8_000_000)
    assert.equal(result.lostUpdates, result.expected - result.actual)
    assert.ok(result.actual <= result.expected, 'a race loses updates, it never invents them')
    assert.match(result.meaning, /free-threaded 3\.13t \/ C case/)
    losses.push(result.lostUpdates)
  }
  assert.ok(losses.some((lost) => lost > 0), `lost updates per attempt: ${losses.join(', ')}`)
})

test('the seed\'s record: read → delay → write loses updates without the lock and none with it', async (t) => {
  const app = await buildTestApp(t)
  const report = await race(app, { strategies: ['atomic'], increments: 1, record: { workers: 4, updates: 5, delayMs: 5 } })
  assert.ok(report.record)
  assert.deepEqual({ ...report.record, results: undefined }, { workers: 4, updates: 5, delayMs: 5, results: undefined })
  const [unlocked, locked] = report.record.results
  assert.ok(unlocked && locked)
  assert.equal(unlocked.locked, false)
  assert.equal(unlocked.expected, 20)
  assert.ok(unlocked.lostUpdates > 0, `without the lock: ${JSON.stringify(unlocked)}`)
  assert.equal(locked.locked, true)
  assert.equal(locked.actual, 20)
  assert.equal(locked.lostUpdates, 0)
  // Under the lock the 20 delays of 5 ms run one after another.
  assert.ok(locked.ms >= 20 * 5 * 0.9, `locked run took ${locked.ms} ms`)
})

test('a run over LAB_MAX_MS is stopped with LAB_TIMED_OUT and its threads are terminated', async (t) => {
  const app = await buildTestApp(t, { LAB_MAX_MS: 100 })
  const started = performance.now()
  const response = await app.inject({ method: 'POST', url: '/labs/race', payload: { workers: 4, increments: 10_000_000, strategies: ['mutex'] } })
  assert.equal(response.statusCode, 504, response.body)
  assert.equal(response.json().code, 'LAB_TIMED_OUT')
  assert.match(response.json().message, /race lab strategy 'mutex' did not finish within LAB_MAX_MS \(100 ms\)/)
  assert.ok(performance.now() - started < 10_000, 'answered promptly')
  assert.equal(liveWorkers.count('labs'), 0)
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
})

test('one run at a time: a second run while one is going answers 429 LAB_BUSY', async (t) => {
  const app = await buildTestApp(t)
  const first = app.inject({ method: 'POST', url: '/labs/race', payload: { workers: 2, increments: 1000, strategies: ['atomic'], record: { workers: 2, updates: 50, delayMs: 5 } } })
  await waitFor(() => liveWorkers.count('labs') > 0, 20_000, 'the first run\'s threads')
  const second = await app.inject({ method: 'POST', url: '/labs/race', payload: { workers: 1, increments: 1 } })
  assert.equal(second.statusCode, 429, second.body)
  assert.equal(second.json().code, 'LAB_BUSY')
  assert.equal((await first).statusCode, 200)
  assert.equal(liveWorkers.count('labs'), 0)
})

test('bad input: 400 naming the field and the limit', async (t) => {
  const app = await buildTestApp(t, { LAB_MAX_WORKERS: 3, LAB_MAX_OPERATIONS: 1000, LAB_MAX_MS: 2000 })
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ workers: 4 }, 'FST_ERR_VALIDATION', /^body\/workers must be <= 3/],
    [{ workers: 0 }, 'FST_ERR_VALIDATION', /^body\/workers must be >= 1/],
    [{ increments: 1001 }, 'FST_ERR_VALIDATION', /^body\/increments must be <= 1000/],
    [{ strategies: ['atomic', 'optimistic'] }, 'FST_ERR_VALIDATION', /^body\/strategies\/1 must be one of: unsafe, unsafe-call, atomic, mutex$/],
    [{ strategies: [] }, 'FST_ERR_VALIDATION', /^body\/strategies /],
    [{ color: 'red' }, 'FST_ERR_VALIDATION', /^body must not have the property 'color'$/],
    [{ record: { workers: 4 } }, 'FST_ERR_VALIDATION', /^body\/record\/workers must be <= 3/],
    [{ record: { workers: 3, updates: 100, delayMs: 10 } }, 'INVALID_FIELD', /^body\/record: workers × updates × delayMs = 3000 ms must be <= 2000 \(LAB_MAX_MS\)/]
  ]
  for (const [payload, code, message] of cases) {
    const response = await app.inject({ method: 'POST', url: '/labs/race', payload })
    assert.equal(response.statusCode, 400, `${JSON.stringify(payload)}: ${response.body}`)
    assert.equal(response.json().code, code, JSON.stringify(payload))
    assert.match(response.json().message, message, JSON.stringify(payload))
  }
  assert.equal(liveWorkers.count('labs'), 0, 'rejected runs start no thread')
})
