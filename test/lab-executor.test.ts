/**
 * The executor lab: the same tasks on a pool of threads collected with map (submission order), as-completed (each
 * as it ends) and fire-and-forget (never asked for: exceptions raised, none seen, each reported by Node as an
 * unhandled rejection in the caller thread — and none in the service's).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { poolMakespanMs } from '../src/labs/executor.js'
import { liveWorkers } from '../src/threads/live-workers.js'
import { buildTestApp } from './support/app.js'

interface StyleReport {
  style: string
  firstResultMs: number | null
  allResultsMs: number | null
  drainedMs: number
  order: number[]
  results: number
  exceptionsRaised: number
  exceptionsSeen: number
  exceptionsLost: number
  tasksRun: number
  cancelled: number
  reportedByRuntime: number
  handledLater?: number
}

interface ExecutorAnswer {
  workers: number
  tasks: number
  durationsMs: number[]
  failing: number[]
  styles: StyleReport[]
  callerDied: { style: string, error: string } | null
  cpython: { ran: boolean, reason?: string, result?: Omit<ExecutorAnswer, 'cpython'> }
}

/**
 * Task 0 the slowest, the others 40 ms apart or more, 4 threads: tasks end at 80 (1), 160 (3), 200 (5), 240 (2),
 * 320 (6), 440 (7), 480 (4), 600 (0) ms — far enough apart that a busy machine does not swap two.
 */
const DURATIONS = [600, 80, 240, 160, 400, 40, 120, 200]
const COMPLETION_ORDER = [1, 3, 5, 2, 6, 7, 4, 0]

async function executor (app: FastifyInstance, body: Record<string, unknown>): Promise<ExecutorAnswer> {
  const response = await app.inject({ method: 'POST', url: '/labs/executor', payload: body })
  assert.equal(response.statusCode, 200, response.body)
  assert.equal(liveWorkers.count('labs'), 0, 'every lab thread has exited when the lab answers')
  return response.json()
}

const byStyle = (answer: Pick<ExecutorAnswer, 'styles'>, style: string) => answer.styles.find((report) => report.style === style)!

test('the pool schedule: tasks in submission order, each to the thread that frees first', () => {
  assert.equal(poolMakespanMs(DURATIONS, 4), 600)
  assert.equal(poolMakespanMs(DURATIONS, 1), DURATIONS.reduce((sum, ms) => sum + ms, 0))
  assert.equal(poolMakespanMs([100, 100, 100], 8), 100)
})

test('map gives results in submission order, the first after task 0; as-completed as they end, the first after the quickest', async (t) => {
  const app = await buildTestApp(t)
  const answer = await executor(app, { workers: 4, durationsMs: DURATIONS, failEvery: 0, styles: ['map', 'as-completed'] })
  assert.deepEqual(answer.durationsMs, DURATIONS)
  assert.deepEqual(answer.failing, [])
  const map = byStyle(answer, 'map')
  const asCompleted = byStyle(answer, 'as-completed')
  assert.deepEqual(map.order, [0, 1, 2, 3, 4, 5, 6, 7])
  assert.ok(map.firstResultMs! >= DURATIONS[0]!, `map's first result after ${map.firstResultMs} ms: task 0 sleeps ${DURATIONS[0]} ms`)
  assert.deepEqual(asCompleted.order, COMPLETION_ORDER)
  // The first result comes after the quickest of the first four tasks (80 ms), long before task 0 is done.
  assert.ok(asCompleted.firstResultMs! >= 80 && asCompleted.firstResultMs! < map.firstResultMs! / 2,
    `as-completed's first result after ${asCompleted.firstResultMs} ms, map's after ${map.firstResultMs} ms`)
  for (const style of [map, asCompleted]) {
    // The total is the same either way: the pool's makespan, set by task 0.
    assert.ok(style.allResultsMs! >= 600 && style.allResultsMs! < 600 * 2, `${style.style}: all results after ${style.allResultsMs} ms`)
    assert.deepEqual({ results: style.results, raised: style.exceptionsRaised, seen: style.exceptionsSeen, run: style.tasksRun, cancelled: style.cancelled, reported: style.reportedByRuntime },
      { results: 8, raised: 0, seen: 0, run: 8, cancelled: 0, reported: 0 })
  }
})

test('failures: map stops at the first in submission order, as-completed sees every one, fire-and-forget none — and the service stays up', async (t) => {
  const app = await buildTestApp(t)
  // Were a rejection to reach the service's own thread, close-with-grace would shut the service down on it.
  let reachedMainThread = 0
  const onUnhandled = () => { reachedMainThread++ }
  process.on('unhandledRejection', onUnhandled)
  t.after(() => { process.off('unhandledRejection', onUnhandled) })

  const answer = await executor(app, { workers: 4, durationsMs: DURATIONS, failEvery: 4 })
  assert.deepEqual(answer.failing, [3, 7])
  assert.deepEqual(answer.styles.map((style) => style.style), ['map', 'as-completed', 'fire-and-forget'])
  assert.equal(answer.callerDied, null, 'with its listener the caller thread lives on')

  const map = byStyle(answer, 'map')
  assert.deepEqual(map.order, [0, 1, 2, 3], 'results 0, 1, 2, then the exception of task 3 ends the loop')
  assert.deepEqual({ results: map.results, raised: map.exceptionsRaised, seen: map.exceptionsSeen, lost: map.exceptionsLost, run: map.tasksRun },
    { results: 3, raised: 2, seen: 1, lost: 1, run: 8 })
  // Task 3 rejected (160 ms) while the loop still awaited task 0 (600 ms): reported, then handled when reached;
  // task 7's rejection is never handled.
  assert.deepEqual({ reported: map.reportedByRuntime, handledLater: map.handledLater }, { reported: 2, handledLater: 1 })

  const asCompleted = byStyle(answer, 'as-completed')
  assert.deepEqual(asCompleted.order, COMPLETION_ORDER)
  assert.deepEqual({ results: asCompleted.results, raised: asCompleted.exceptionsRaised, seen: asCompleted.exceptionsSeen, lost: asCompleted.exceptionsLost, reported: asCompleted.reportedByRuntime },
    { results: 6, raised: 2, seen: 2, lost: 0, reported: 0 })

  const forgotten = byStyle(answer, 'fire-and-forget')
  assert.deepEqual({ order: forgotten.order, first: forgotten.firstResultMs, all: forgotten.allResultsMs }, { order: [], first: null, all: null })
  assert.ok(forgotten.exceptionsRaised > 0)
  assert.deepEqual({ raised: forgotten.exceptionsRaised, seen: forgotten.exceptionsSeen, lost: forgotten.exceptionsLost, run: forgotten.tasksRun },
    { raised: 2, seen: 0, lost: 2, run: 8 })
  assert.equal(forgotten.reportedByRuntime, 2, 'Node reported each forgotten rejection (unhandledRejection in the caller thread)')
  assert.ok(forgotten.drainedMs >= 600, 'the pool still ran every task')

  assert.equal(reachedMainThread, 0, 'no rejection reached the service\'s main thread')
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
  const again = await executor(app, { workers: 2, durationsMs: [20, 20], failEvery: 1, styles: ['fire-and-forget'] })
  assert.equal(again.styles[0]!.reportedByRuntime, 2, 'and it runs again')
})

test('seeded durations: the same seed gives the same tasks, within [minMs, maxMs]', async (t) => {
  const app = await buildTestApp(t)
  const body = { workers: 4, tasks: 6, minMs: 10, maxMs: 50, seed: 7, failEvery: 0, styles: ['as-completed'] }
  const first = await executor(app, body)
  const second = await executor(app, body)
  assert.equal(first.tasks, 6)
  assert.deepEqual(first.durationsMs, second.durationsMs)
  assert.ok(first.durationsMs.every((ms) => ms >= 10 && ms <= 50), String(first.durationsMs))
  assert.ok(new Set(first.durationsMs).size > 1, 'varied')
  const other = await executor(app, { ...body, seed: 8 })
  assert.notDeepEqual(other.durationsMs, first.durationsMs)
  assert.equal(first.cpython.ran, false)
  assert.match(first.cpython.reason ?? '', /set "cpython": true/)
})

test('bad fields are 400s that name the field and the limit', async (t) => {
  const app = await buildTestApp(t, { LAB_MAX_MS: 2000 })
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ workers: 0 }, /body\/workers must be >= 1/],
    [{ workers: 17 }, /body\/workers must be <= 16/],
    [{ tasks: 0 }, /body\/tasks must be >= 1/],
    [{ tasks: 1001 }, /body\/tasks must be <= 1000/],
    [{ minMs: 100, maxMs: 50 }, /body\/maxMs must be >= body\/minMs \(100\)/],
    [{ maxMs: 10_001 }, /body\/maxMs must be <= 10000/],
    [{ durationsMs: [] }, /body\/durationsMs must NOT have fewer than 1 items/],
    [{ durationsMs: [10, -1] }, /body\/durationsMs\/1 must be >= 0/],
    [{ durationsMs: [10, 20], tasks: 3 }, /body\/tasks must equal the length of body\/durationsMs \(2\)/],
    [{ failEvery: -1 }, /body\/failEvery must be >= 0/],
    [{ styles: [] }, /body\/styles must NOT have fewer than 1 items/],
    [{ styles: ['map', 'map'] }, /body\/styles must NOT have duplicate items/],
    [{ styles: ['submit'] }, /body\/styles\/0 must be one of: map, as-completed, fire-and-forget/],
    [{ durationsMs: [1000, 1000], workers: 1 }, /^body\/durationsMs \(2 tasks\) on body\/workers \(1\) need 2000 ms per style × 3 body\/styles = 6000 ms, must be <= 2000 \(LAB_MAX_MS\)/],
    // Seeded durations: the error names the fields that set them (tasks, minMs…maxMs, seed), never durationsMs.
    [{ tasks: 21, minMs: 200, maxMs: 200, workers: 2, styles: ['map'] }, /^body\/tasks \(21\) seeded in body\/minMs…body\/maxMs \(200…200 ms, body\/seed 1\) on body\/workers \(2\) need 2200 ms per style × 1 body\/styles = 2200 ms, must be <= 2000/],
    [{ minMs: 600, maxMs: 600, workers: 4 }, /^body\/tasks \(8, the default\) seeded in body\/minMs…body\/maxMs \(600…600 ms, body\/seed 1\) on body\/workers \(4\) need 1200 ms per style × 3 body\/styles = 3600 ms/],
    [{ executor: 'process' }, /body must not have the property 'executor'/]
  ]
  for (const [body, message] of cases) {
    const response = await app.inject({ method: 'POST', url: '/labs/executor', payload: body })
    assert.equal(response.statusCode, 400, `${JSON.stringify(body)}: ${response.body}`)
    assert.match(response.json().message, message, JSON.stringify(body))
  }
})

test('a run past LAB_MAX_MS is stopped with 504 LAB_TIMED_OUT and leaves no thread behind', async (t) => {
  // 100 ms of work fits in LAB_MAX_MS = 100 (no 400); with the threads' start-up on top it cannot finish in time.
  const app = await buildTestApp(t, { LAB_MAX_MS: 100 })
  const response = await app.inject({ method: 'POST', url: '/labs/executor', payload: { workers: 1, durationsMs: [100], styles: ['map'] } })
  assert.equal(response.statusCode, 504, response.body)
  assert.equal(response.json().code, 'LAB_TIMED_OUT')
  assert.match(response.json().message, /executor lab did not finish within LAB_MAX_MS \(100 ms\)/)
  assert.equal(liveWorkers.count('labs'), 0)
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
})

test('unhandledRejections default: the first forgotten rejection ends the caller thread, as Node does — the map loop\'s too', async (t) => {
  const app = await buildTestApp(t)
  let reachedMainThread = 0
  const onUnhandled = () => { reachedMainThread++ }
  process.on('unhandledRejection', onUnhandled)
  t.after(() => { process.off('unhandledRejection', onUnhandled) })

  // as-completed handles every promise: it finishes; fire-and-forget's first failure ends the thread.
  const forgotten = await executor(app, { workers: 4, durationsMs: DURATIONS, failEvery: 4, styles: ['as-completed', 'fire-and-forget'], unhandledRejections: 'default' })
  assert.deepEqual(forgotten.styles.map((style) => style.style), ['as-completed'])
  assert.deepEqual(forgotten.callerDied, { style: 'fire-and-forget', error: 'task 3 failed' })

  // map: task 3 rejects (160 ms) while the loop still awaits task 0 (600 ms) — unhandled at that moment, so fatal.
  const map = await executor(app, { workers: 4, durationsMs: DURATIONS, failEvery: 4, styles: ['map'], unhandledRejections: 'default' })
  assert.deepEqual(map.styles, [])
  assert.deepEqual(map.callerDied, { style: 'map', error: 'task 3 failed' })

  assert.equal(reachedMainThread, 0, 'the caller thread died alone')
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
})
