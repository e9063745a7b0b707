import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { findDeadlock, WaitKind, type WaitForSnapshot, type WorkerRow } from '../src/labs/deadlock-wait-for.js'
import { liveWorkers } from '../src/threads/live-workers.js'
import { buildTestApp, waitFor } from './support/app.js'

interface DeadlockReport {
  strategy: string
  workers: number
  deadlocked: boolean
  cycle: Array<{ worker: number, holds: number, waitsFor: number, heldBy: number }>
  detectedBy: string | null
  resolvedBy: string | null
  detectedAfterMs: number | null
  ms: number
  inspections: number
  perWorker: Array<{ worker: number, locks: number[], acquired: boolean, attempts: number, backoffs: number, terminated: boolean }>
}

async function deadlock (app: FastifyInstance, body: Record<string, unknown>): Promise<DeadlockReport> {
  const response = await app.inject({ method: 'POST', url: '/labs/deadlock', payload: body })
  assert.equal(response.statusCode, 200, response.body)
  assert.equal(liveWorkers.count('labs'), 0, 'every lab thread has exited or been terminated when the lab answers')
  return response.json()
}

test('opposite-order deadlocks; the watchdog finds the cycle and ends it while the service keeps answering', async (t) => {
  const app = await buildTestApp(t)
  for (const workers of [2, 3]) {
    const watchdogMs = 300
    const started = performance.now()
    const running = deadlock(app, { workers, strategy: 'opposite-order', holdMs: 100, watchdogMs })
    // While the threads start, deadlock and are terminated, the main thread stays free: /healthz answers at once.
    const settled = running.then(() => true, () => true)
    await waitFor(() => liveWorkers.count('labs') === workers, 20_000, 'the lab threads')
    let probes = 0
    while (!(await Promise.race([settled, sleep(50, false)]))) {
      const probeStarted = performance.now()
      assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
      assert.ok(performance.now() - probeStarted < 1000, '/healthz answered within 1 s')
      probes++
    }
    const report = await running
    assert.ok(probes >= 1)
    // Bound: thread start-up (slow under tsx on a busy machine) + watchdogMs + 5 s to detect and terminate.
    assert.ok(report.ms < watchdogMs + 5000, `start → resolved in ${report.ms} ms`)
    assert.ok(performance.now() - started < 30_000)
    assert.equal(report.deadlocked, true)
    assert.equal(report.detectedBy, 'watchdog wait-for graph')
    assert.equal(report.resolvedBy, `terminated ${workers} workers`)
    assert.ok(report.detectedAfterMs !== null && report.detectedAfterMs >= watchdogMs * 0.9)
    assert.equal(report.cycle.length, workers)
    report.cycle.forEach((edge, index) => {
      // Worker i holds lock i and waits for lock i + 1, which worker i + 1 holds.
      assert.deepEqual(edge, { worker: index, holds: index, waitsFor: (index + 1) % workers, heldBy: (index + 1) % workers })
    })
    for (const worker of report.perWorker) {
      assert.deepEqual({ acquired: worker.acquired, terminated: worker.terminated, attempts: worker.attempts }, { acquired: false, terminated: true, attempts: 1 })
    }
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
  }
})

test('ordered and timeout finish without a deadlock and every worker gets both locks', async (t) => {
  const app = await buildTestApp(t)
  for (const strategy of ['ordered', 'timeout']) {
    const report = await deadlock(app, { workers: 4, strategy, holdMs: 30, tryLockMs: 10, watchdogMs: 200 })
    assert.equal(report.deadlocked, false, strategy)
    assert.deepEqual(report.cycle, [])
    assert.equal(report.detectedBy, null)
    assert.equal(report.resolvedBy, null)
    assert.equal(report.perWorker.length, 4)
    for (const worker of report.perWorker) {
      assert.equal(worker.acquired, true, `${strategy}: ${JSON.stringify(worker)}`)
      assert.equal(worker.terminated, false)
      assert.ok(worker.attempts >= 1)
      assert.equal(worker.attempts, worker.backoffs + 1, 'each failed attempt backs off once')
    }
    if (strategy === 'ordered') {
      assert.deepEqual(report.perWorker[3]?.locks, [0, 3], 'the last worker takes the lower-numbered lock first')
    }
  }
})

test('never hangs: past LAB_MAX_MS, or when the service closes, deadlocked threads are terminated', async (t) => {
  // The watchdog would inspect only at the deadline: the deadline wins and ends the run.
  const bounded = await buildTestApp(t, { LAB_MAX_MS: 1500 })
  const started = performance.now()
  const late = await bounded.inject({ method: 'POST', url: '/labs/deadlock', payload: { workers: 3, watchdogMs: 1500 } })
  assert.equal(late.statusCode, 504, late.body)
  assert.equal(late.json().code, 'LAB_TIMED_OUT')
  assert.match(late.json().message, /deadlock lab \(opposite-order\) did not finish within LAB_MAX_MS \(1500 ms\)/)
  assert.ok(performance.now() - started < 1500 + 5000)
  assert.equal(liveWorkers.count('labs'), 0)

  const closing = await buildTestApp(t)
  const running = closing.inject({ method: 'POST', url: '/labs/deadlock', payload: { workers: 2, watchdogMs: 20_000 } })
  await waitFor(() => liveWorkers.count('labs') === 2, 20_000, 'the lab threads')
  await closing.close()
  const stopped = await running
  assert.equal(stopped.statusCode, 503, stopped.body)
  assert.equal(stopped.json().code, 'LAB_STOPPED')
  assert.equal(liveWorkers.count('labs'), 0)
})

test('the watchdog reads a cycle of blocking waits as a deadlock, and a cycle with a timed wait as none', () => {
  const row = (waitsFor: number, waitKind: number): WorkerRow => ({ waitsFor, waitKind, acquired: 0, attempts: 1, backoffs: 0, acquisitions: 1, releases: 0, unlockErrors: 0 })
  // Workers 0, 1, 2 hold locks 0, 1, 2; 0 waits for 1, 1 for 2, 2 for 0. Worker 3 waits for lock 1 (held by 1).
  const ring: WaitForSnapshot = {
    owners: [0, 1, 2, -1],
    rows: [row(1, WaitKind.BLOCKING), row(2, WaitKind.BLOCKING), row(0, WaitKind.BLOCKING), row(1, WaitKind.BLOCKING)]
  }
  const found = findDeadlock(ring)
  assert.ok(found)
  assert.equal(found.kind, 'cycle')
  assert.deepEqual(found.cycle.map((edge) => [edge.worker, edge.holds, edge.waitsFor, edge.heldBy]), [[0, 0, 1, 1], [1, 1, 2, 2], [2, 2, 0, 0]])
  assert.deepEqual(found.stuck, [0, 1, 2, 3], 'worker 3 waits behind the cycle')
  const timed = { ...ring, rows: ring.rows.map((r, worker) => worker === 2 ? row(0, WaitKind.TIMED) : r) }
  assert.equal(findDeadlock(timed), undefined, 'a timed wait breaks the cycle by itself')
  // Once 0, 1, 2 are terminated, a worker blocked on a lock one of them held is stuck too (the lock is never freed).
  assert.deepEqual(findDeadlock(ring, new Set([0, 1, 2])), { kind: 'abandoned', cycle: [], abandoned: { lock: 1, owner: 1, waiters: [3] }, stuck: [3] })
  // A worker blocked on a lock it holds itself: a cycle of one, kind self; a worker waiting behind it is stuck too.
  const self = findDeadlock({ owners: [0, -1], rows: [row(0, WaitKind.BLOCKING), row(0, WaitKind.BLOCKING)] })
  assert.deepEqual(self, { kind: 'self', cycle: [{ worker: 0, holds: 0, waitsFor: 0, heldBy: 0 }], abandoned: null, stuck: [0, 1] })
  assert.equal(findDeadlock({ owners: [-1, -1], rows: [row(1, WaitKind.BLOCKING), row(-1, WaitKind.NONE)] }), undefined)
})

test('bad input: 400 naming the field and the limit', async (t) => {
  const app = await buildTestApp(t, { LAB_MAX_WORKERS: 3, LAB_MAX_MS: 2000 })
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ workers: 4 }, /^body\/workers must be <= 3/],
    [{ workers: 0 }, /^body\/workers must be >= 1/],
    [{ strategy: 'banker' }, /^body\/strategy must be one of: opposite-order, ordered, timeout, double-acquire, reentrant, never-released, released-in-finally$/],
    [{ watchdogMs: 2001 }, /^body\/watchdogMs must be <= 2000/],
    [{ tryLockMs: 0 }, /^body\/tryLockMs must be >= 1/],
    [{ holdMs: 'long' }, /^body\/holdMs must be integer/],
    [{ lockCount: 3 }, /^body must not have the property 'lockCount'$/]
  ]
  for (const [payload, message] of cases) {
    const response = await app.inject({ method: 'POST', url: '/labs/deadlock', payload })
    assert.equal(response.statusCode, 400, `${JSON.stringify(payload)}: ${response.body}`)
    assert.equal(response.json().code, 'FST_ERR_VALIDATION')
    assert.match(response.json().message, message, JSON.stringify(payload))
  }
  // One worker: the minimum depends on the strategy, and the 400 names its rule (not LAB_MAX_WORKERS).
  for (const [strategy, rule] of [['opposite-order', 'a ring of two locks needs two threads'], ['timeout', 'a ring of two locks needs two threads'], ['never-released', 'a holder and at least one waiter'], ['released-in-finally', 'a holder and at least one waiter']]) {
    const response = await app.inject({ method: 'POST', url: '/labs/deadlock', payload: strategy === 'opposite-order' ? { workers: 1 } : { workers: 1, strategy } })
    assert.equal(response.statusCode, 400, response.body)
    assert.equal(response.json().code, 'INVALID_FIELD')
    assert.equal(response.json().message, `body/workers must be >= 2 for strategy ${strategy} (${rule}); double-acquire, reentrant run with 1`)
  }
  // Beyond 16 even when LAB_MAX_WORKERS allows more.
  const wide = await buildTestApp(t, { LAB_MAX_WORKERS: 64 })
  const response = await wide.inject({ method: 'POST', url: '/labs/deadlock', payload: { workers: 17 } })
  assert.equal(response.statusCode, 400)
  assert.match(response.json().message, /^body\/workers must be <= 16/)
  assert.equal(liveWorkers.count('labs'), 0)
})
