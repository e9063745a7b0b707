import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BatchSizer } from '../src/executors/batch-sizer.js'
import { TaskCursor } from '../src/executors/task-cursor.js'
import { buildTestApp, runJob } from './support/app.js'

const outcome = (index: number, runMs: number) => ({ index, ok: true, runMs, worker: 'pool thread 1' })

test('batch auto: one task until run times are known, then about AUTO_BATCH_MS of work, shrinking towards the end', () => {
  const sizer = new BatchSizer({ setting: 'auto', lanes: 2, targetMs: 50, maxBatch: 10_000 })
  assert.equal(sizer.next(10_000), 1, 'nothing measured yet')
  sizer.observe([outcome(0, 2), outcome(1, 3), { ...outcome(2, 0), lost: true }]) // lost tasks did not run: ignored
  assert.equal(sizer.next(10_000), 20, '50 ms ÷ 2.5 ms mean')
  assert.equal(sizer.next(30), 8, 'at most half of what is left per lane: 30 ÷ (2 × 2) → 8')
  assert.equal(sizer.next(1), 1)
  assert.equal(sizer.dispatches, 4)
  const fixed = new BatchSizer({ setting: 7, lanes: 2, targetMs: 50, maxBatch: 10_000 })
  fixed.observe([outcome(0, 100)])
  assert.equal(fixed.next(3), 7, 'a number is used as it is (the cursor caps it)')
  const capped = new BatchSizer({ setting: 'auto', lanes: 1, targetMs: 50, maxBatch: 100 })
  capped.observe([outcome(0, 0), outcome(1, Number.NaN)]) // zero-time tasks; a NaN is ignored
  assert.equal(capped.next(1_000_000), 100, 'never beyond MAX_BATCH')
})

test('the task cursor hands out given-back indices first and counts them as remaining', () => {
  const cursor = new TaskCursor(10)
  assert.deepEqual(cursor.take(4), [0, 1, 2, 3])
  assert.deepEqual(cursor.take(6), [4, 5, 6, 7, 8, 9])
  assert.equal(cursor.exhausted, true)
  cursor.giveBack([6, 7])
  assert.equal(cursor.exhausted, false)
  assert.equal(cursor.remaining, 2)
  assert.deepEqual(cursor.take(1), [6])
  assert.deepEqual(cursor.take(5), [7])
  assert.equal(cursor.exhausted, true)
  assert.throws(() => cursor.take(0), RangeError)
  assert.throws(() => cursor.take(Number.NaN), RangeError)
})

test('pool and processes jobs batch by default (batch auto) and report their dispatches; batch 1 dispatches every task', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['pool', 'processes']) {
    const auto = await runJob(app, { workload: 'hash', mode, tasks: 2000, concurrency: 2, params: { bytes: 64, rounds: 1 } })
    assert.equal(auto.spec.batch, 'auto', mode)
    assert.equal(auto.report!.tasks.done, 2000, mode)
    assert.ok(auto.report!.dispatches >= 2 && auto.report!.dispatches < 200, `${mode}: ${auto.report!.dispatches} dispatches for 2000 tiny tasks`)
    const single = await runJob(app, { workload: 'hash', mode, tasks: 200, concurrency: 2, batch: 1, params: { bytes: 64, rounds: 1 } })
    assert.equal(single.report!.dispatches, 200, mode)
    assert.equal(single.report!.tasks.done, 200, mode)
  }
  const inline = await runJob(app, { workload: 'hash', mode: 'inline', tasks: 10 })
  assert.equal(inline.report!.dispatches, 0)
  const bad = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'pool', batch: 'big' } })
  assert.equal(bad.statusCode, 400)
  assert.match(bad.json().message, /body\/batch/)
})
