/**
 * The deadlock lab beside its Python original (python/deadlock.py, threading.Lock and RLock): for every strategy the
 * CPython run agrees with the Node run and the docs — deadlocked or not, and which kind — and says what Python
 * cannot do (end a stuck thread).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CpythonDeadlockReport } from '../src/labs/deadlock-schema.js'
import { buildTestApp } from './support/app.js'
import { pythonForTests } from './support/python.js'

const { skip } = await pythonForTests()

interface Answer {
  deadlocked: boolean
  kind: string | null
  abandoned: { lock: number, owner: number, waiters: number[] } | null
  cycle: Array<{ worker: number, holds: number, waitsFor: number, heldBy: number }>
  acquisitions: number
  releases: number
  cpython: { ran: boolean, reason?: string, script?: string, result?: CpythonDeadlockReport }
}

/** strategy → workers, and what the docs say it does (deadlocked, kind). */
const STRATEGIES = [
  { strategy: 'opposite-order', workers: 3, kind: 'cycle' },
  { strategy: 'ordered', workers: 3, kind: null },
  { strategy: 'timeout', workers: 3, kind: null },
  { strategy: 'double-acquire', workers: 2, kind: 'self' },
  { strategy: 'reentrant', workers: 2, kind: null },
  { strategy: 'never-released', workers: 3, kind: 'abandoned' },
  { strategy: 'released-in-finally', workers: 3, kind: null }
] as const

const FATE = /^left running until the interpreter exits: CPython cannot kill a thread/

test('without cpython: true the answer says the original was not run, and how to ask for it', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'POST', url: '/labs/deadlock', payload: { workers: 1, strategy: 'reentrant', holdMs: 0 } })
  assert.equal(response.statusCode, 200, response.body)
  const answer: Answer = response.json()
  assert.equal(answer.cpython.ran, false)
  assert.match(answer.cpython.reason ?? '', /set "cpython": true/)
})

test('every strategy: the CPython run agrees with the Node run and the docs (deadlocked, kind)', { skip }, async (t) => {
  const app = await buildTestApp(t)
  const watchdogMs = 300
  for (const { strategy, workers, kind } of STRATEGIES) {
    const response = await app.inject({ method: 'POST', url: '/labs/deadlock', payload: { workers, strategy, holdMs: 20, watchdogMs, cpython: true } })
    assert.equal(response.statusCode, 200, response.body)
    const node: Answer = response.json()
    assert.equal(node.cpython.ran, true, `${strategy}: ${node.cpython.reason}`)
    assert.equal(node.cpython.script, 'python/deadlock.py')
    const python = node.cpython.result!
    assert.equal(python.strategy, strategy)
    assert.equal(python.workers, workers)
    for (const [run, answer] of [['node', node], ['cpython', python]] as const) {
      assert.equal(answer.deadlocked, kind !== null, `${strategy} (${run}): deadlocked`)
      assert.equal(answer.kind, kind, `${strategy} (${run}): kind`)
    }
    // Same picture: the same cycle (worker i holds lock i and waits for i + 1), the same abandoned lock and waiters.
    assert.deepEqual(python.cycle, node.cycle, `${strategy}: the same cycle`)
    if (kind === 'abandoned') {
      assert.equal(python.abandoned?.lock, 0)
      assert.equal(python.abandoned?.waiters.length, workers - 1, 'every other thread waits on the gone owner\'s lock')
      assert.equal(python.perWorker[python.abandoned!.owner]?.error, `ValueError: worker ${python.abandoned!.owner} threw while holding lock 0 (never released)`)
    } else {
      assert.equal(python.abandoned, null)
    }
    assert.equal(python.resolvedBy, null, 'nothing ends a stuck Python thread')
    assert.ok(python.perWorker.every((worker) => !worker.terminated))
    if (kind === null) {
      assert.equal(python.stuckThreads.count, 0)
      assert.equal(python.releases, python.acquisitions, `${strategy}: every acquire released`)
      assert.ok(python.perWorker.every((worker) => worker.acquired), `${strategy}: every thread got its locks`)
    } else {
      // Found at the first inspection, like the Node watchdog; the stuck threads named with the line they wait on.
      assert.ok(python.detectedAfterMs !== null && python.detectedAfterMs >= watchdogMs * 0.9 && python.detectedAfterMs < watchdogMs * 2 + 500, `${strategy}: detected after ${python.detectedAfterMs} ms`)
      assert.equal(python.inspections, 1)
      assert.match(python.stuckThreads.fate, FATE)
      const stuck = kind === 'abandoned' ? workers - 1 : workers
      assert.equal(python.stuckThreads.count, stuck)
      for (const thread of python.stuckThreads.threads) assert.match(thread.where ?? '', /^deadlock\.py:\d+ in \w+: \w+\.acquire\(\)$/)
    }
    if (strategy === 'reentrant') {
      assert.equal(python.acquisitions, workers * 2)
      for (const worker of python.perWorker) assert.equal(worker.unlockError, 'RuntimeError: cannot release un-acquired lock', 'the extra release: CPython\'s own RuntimeError')
    }
    if (strategy === 'released-in-finally') {
      for (const worker of python.perWorker) assert.equal(worker.error, `ValueError: worker ${worker.worker} threw while holding lock 0 (released in finally)`)
    }
    if (strategy === 'double-acquire') {
      for (const thread of python.stuckThreads.threads) assert.deepEqual({ waitsFor: thread.waitsFor, heldBy: thread.heldBy }, { waitsFor: thread.worker, heldBy: thread.worker })
    }
  }
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
})
