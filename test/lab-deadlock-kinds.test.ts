/**
 * The seed's own deadlock — "two acquire operations run without a release" — in the deadlock lab: a lock taken twice
 * by its holder (kind self), an RLock that allows it (and refuses a non-owner's unlock), a lock whose holder died
 * without releasing it (kind abandoned), and the same released in finally.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { SharedReentrantMutex } from '../src/sync/reentrant-mutex.js'
import { liveWorkers } from '../src/threads/live-workers.js'
import { buildTestApp } from './support/app.js'

interface WorkerReport {
  worker: number
  locks: number[]
  acquired: boolean
  acquisitions: number
  releases: number
  unlockError: string | null
  error: string | null
  terminated: boolean
}

interface DeadlockReport {
  deadlocked: boolean
  kind: string | null
  cycle: Array<{ worker: number, holds: number, waitsFor: number, heldBy: number }>
  abandoned: { lock: number, owner: number, waiters: number[] } | null
  acquisitions: number
  releases: number
  resolvedBy: string | null
  detectedAfterMs: number | null
  ms: number
  inspections: number
  perWorker: WorkerReport[]
}

/** Runs the lab while probing /healthz every 50 ms: each probe must answer 200 within 1 s. */
async function deadlockProbed (app: FastifyInstance, body: Record<string, unknown>): Promise<{ report: DeadlockReport, probes: number }> {
  const running = app.inject({ method: 'POST', url: '/labs/deadlock', payload: body })
  const settled = running.then(() => true, () => true)
  let probes = 0
  while (!(await Promise.race([settled, sleep(50, false)]))) {
    const started = performance.now()
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
    assert.ok(performance.now() - started < 1000, '/healthz answered within 1 s')
    probes++
  }
  const response = await running
  assert.equal(response.statusCode, 200, response.body)
  assert.equal(liveWorkers.count('labs'), 0, 'every lab thread has exited or been terminated when the lab answers')
  return { report: response.json(), probes }
}

test('double-acquire with 1 and 4 workers: each thread waits for itself, kind self, found at the first inspection', async (t) => {
  const app = await buildTestApp(t)
  const watchdogMs = 300
  for (const workers of [1, 4]) {
    const { report, probes } = await deadlockProbed(app, { workers, strategy: 'double-acquire', holdMs: 20, watchdogMs })
    assert.ok(probes >= 1, '/healthz was probed while the threads were stuck')
    assert.equal(report.deadlocked, true)
    assert.equal(report.kind, 'self')
    assert.deepEqual(report.cycle, [{ worker: 0, holds: 0, waitsFor: 0, heldBy: 0 }], 'worker 0 holds lock 0 and waits for it')
    assert.equal(report.abandoned, null)
    // Within the watchdog bound: at the first inspection (watchdogMs), with room for a busy machine.
    assert.ok(report.detectedAfterMs !== null && report.detectedAfterMs >= watchdogMs * 0.9 && report.detectedAfterMs < watchdogMs * 2 + 500,
      `detected after ${report.detectedAfterMs} ms`)
    assert.equal(report.resolvedBy, `terminated ${workers} workers`)
    assert.equal(report.perWorker.length, workers)
    for (const worker of report.perWorker) {
      assert.deepEqual(worker.locks, [worker.worker, worker.worker])
      assert.deepEqual({ acquisitions: worker.acquisitions, releases: worker.releases, acquired: worker.acquired, terminated: worker.terminated },
        { acquisitions: 1, releases: 0, acquired: false, terminated: true }, 'the first acquire returned, the second never does')
    }
  }
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
})

test('reentrant: the owner takes the RLock again; no deadlock, acquisitions = releases, the non-owner unlock reported', async (t) => {
  const app = await buildTestApp(t)
  for (const workers of [1, 4]) {
    const { report } = await deadlockProbed(app, { workers, strategy: 'reentrant', holdMs: 20, watchdogMs: 200 })
    assert.equal(report.deadlocked, false)
    assert.equal(report.kind, null)
    assert.equal(report.resolvedBy, null)
    assert.equal(report.acquisitions, workers * 2)
    assert.equal(report.releases, report.acquisitions)
    for (const worker of report.perWorker) {
      assert.equal(worker.acquired, true)
      assert.equal(worker.terminated, false)
      assert.deepEqual({ acquisitions: worker.acquisitions, releases: worker.releases }, { acquisitions: 2, releases: 2 })
      assert.match(worker.unlockError ?? '', new RegExp(`^cannot release un-acquired lock: worker ${worker.worker} is not the owner \\((nobody holds it|worker \\d+ holds it)\\)$`))
      assert.equal(worker.error, null, 'the refused unlock is reported, not a crash')
    }
  }
})

test('never-released: the holder dies holding lock 0; the watchdog names the lock and the gone owner (kind abandoned)', async (t) => {
  const app = await buildTestApp(t)
  const watchdogMs = 300
  const { report } = await deadlockProbed(app, { workers: 4, strategy: 'never-released', holdMs: 20, watchdogMs })
  assert.equal(report.deadlocked, true)
  assert.equal(report.kind, 'abandoned')
  assert.deepEqual(report.cycle, [])
  assert.ok(report.detectedAfterMs !== null && report.detectedAfterMs < watchdogMs * 2 + 500, `detected after ${report.detectedAfterMs} ms`)
  const owner = report.perWorker.find((worker) => worker.acquired)
  assert.ok(owner, 'one worker took lock 0')
  assert.equal(report.perWorker.filter((worker) => worker.acquired).length, 1, 'nobody else ever got it')
  const waiters = report.perWorker.filter((worker) => worker !== owner).map((worker) => worker.worker)
  assert.deepEqual(report.abandoned, { lock: 0, owner: owner.worker, waiters })
  assert.equal(owner.terminated, false, 'the owner exited by itself')
  assert.equal(owner.error, `worker ${owner.worker} threw while holding lock 0 (never released)`)
  assert.equal(owner.releases, 0)
  assert.equal(report.resolvedBy, 'terminated 3 workers')
  for (const worker of report.perWorker.filter((w) => w !== owner)) assert.equal(worker.terminated, true)
})

test('released-in-finally: every holder throws, the finally releases, and every waiter gets the lock', async (t) => {
  const app = await buildTestApp(t)
  const { report } = await deadlockProbed(app, { workers: 4, strategy: 'released-in-finally', holdMs: 20, watchdogMs: 200 })
  assert.equal(report.deadlocked, false)
  assert.equal(report.kind, null)
  assert.equal(report.abandoned, null)
  assert.equal(report.resolvedBy, null)
  assert.equal(report.acquisitions, 4)
  assert.equal(report.releases, 4)
  for (const worker of report.perWorker) {
    assert.equal(worker.acquired, true, `worker ${worker.worker} got the lock`)
    assert.equal(worker.terminated, false)
    assert.equal(worker.error, `worker ${worker.worker} threw while holding lock 0 (released in finally)`)
  }
})

test('the reentrant mutex: the owner takes it again and counts; a non-owner unlock throws and changes nothing', () => {
  const buffer = SharedReentrantMutex.allocate()
  const mine = new SharedReentrantMutex(buffer, 0)
  const theirs = new SharedReentrantMutex(buffer, 1)
  assert.throws(() => mine.unlock(), { message: 'cannot release un-acquired lock: worker 0 is not the owner (nobody holds it)' })
  mine.lock()
  mine.lock() // would block for ever on a plain mutex; it never waits here, so the main thread may call it
  assert.deepEqual({ owner: mine.owner, count: mine.count }, { owner: 0, count: 2 })
  assert.throws(() => theirs.unlock(), { message: 'cannot release un-acquired lock: worker 1 is not the owner (worker 0 holds it)' })
  assert.deepEqual({ owner: mine.owner, count: mine.count }, { owner: 0, count: 2 })
  mine.unlock()
  assert.deepEqual({ owner: mine.owner, count: mine.count }, { owner: 0, count: 1 })
  mine.unlock()
  assert.equal(mine.owner, null)
  theirs.lock()
  assert.deepEqual({ owner: theirs.owner, count: theirs.count }, { owner: 1, count: 1 })
})
