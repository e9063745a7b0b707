import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MODES, buildTestApp, runJob } from './support/app.js'
import { parsePrometheusText, valueOf } from './support/prometheus-text.js'

/** warmup runs first, in the same mode, and is in no figure of the report. */

test('warm-up tasks are in no count of the report, and in the metrics only under source "warmup", in every mode', async (t) => {
  const app = await buildTestApp(t)
  const scrape = async () => parsePrometheusText((await app.inject({ url: '/metrics' })).body)
  for (const mode of MODES) {
    const before = await scrape()
    const job = await runJob(app, { workload: 'db', mode, tasks: 20, concurrency: mode === 'inline' ? 1 : 2, warmup: { tasks: 7 }, seriesIntervalMs: 50, params: { latencyMs: 2 } })
    const after = await scrape()
    const report = job.report!
    assert.equal(job.status, 'succeeded', mode)
    assert.deepEqual(report.tasks, { total: 20, done: 20, failed: 0, notRun: 0 }, mode)
    assert.equal(report.latencyMs!.count, 20, mode)
    assert.equal(report.responseMs!.count, 20, mode)
    assert.equal(report.series.reduce((sum, row) => sum + row.done, 0), 20, mode)
    assert.equal(report.workers.reduce((sum, worker) => sum + worker.tasks, 0), 20, mode)
    assert.equal(report.warmup!.tasks, 7, mode)
    assert.ok(report.warnings.every((warning) => !warning.startsWith('cold:')), `${mode}: ${report.warnings.join('; ')}`)
    const delta = (source: string) => valueOf(after, 'conclab_tasks_total', { mode, source }) - valueOf(before, 'conclab_tasks_total', { mode, source })
    assert.equal(delta('job'), 20, mode)
    assert.equal(delta('warmup'), 7, mode)
    assert.deepEqual(report.results.map((result) => result.index), [0, 1, 2, 3, 4], `${mode}: results are the job's own tasks`)
  }
})

test('warmup.ms runs rounds until that long has passed; a job without warm-up on a cold mode says so', async (t) => {
  const app = await buildTestApp(t)
  const cold = await runJob(app, { workload: 'hash', mode: 'pool', tasks: 10, concurrency: 2, params: { bytes: 1024, rounds: 2 } })
  assert.ok(cold.report!.warnings.some((warning) => warning.startsWith('cold: the first pool run of hash')), cold.report!.warnings.join('; '))
  assert.equal(cold.report!.warmup, null)
  const warm = await runJob(app, { workload: 'hash', mode: 'pool', tasks: 10, concurrency: 2, params: { bytes: 1024, rounds: 2 } })
  assert.ok(warm.report!.warnings.every((warning) => !warning.startsWith('cold:')), warm.report!.warnings.join('; '))
  const timed = await runJob(app, { workload: 'db', mode: 'async', tasks: 5, concurrency: 2, warmup: { ms: 120 }, params: { latencyMs: 5 } })
  assert.ok(timed.report!.warmup!.ms >= 120, `warm-up ${timed.report!.warmup!.ms} ms`)
  assert.ok(timed.report!.warmup!.tasks >= 20, `${timed.report!.warmup!.tasks} warm-up tasks`)
  assert.equal(timed.report!.tasks.done, 5)
})

test('warmup: exactly one of tasks and ms, within their limits', async (t) => {
  const app = await buildTestApp(t, { MAX_WARMUP_MS: 1000 })
  const post = async (warmup: unknown) => (await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'pool', warmup } })).json()
  assert.equal((await post({})).message, 'body/warmup must have exactly one of tasks, ms')
  assert.equal((await post({ tasks: 1, ms: 1 })).message, 'body/warmup must have exactly one of tasks, ms')
  assert.equal((await post({ ms: 1001 })).message, 'body/warmup/ms must be <= 1000 (MAX_WARMUP_MS)')
  assert.equal((await post({ tasks: 0 })).message, 'body/warmup/tasks must be >= 1 (MAX_TASKS)')
  assert.equal((await post({ runs: 2 })).message, "body/warmup must not have the property 'runs'")
})
