import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../src/config.js'
import type { ExecutionPlan } from '../src/executors/executor.js'
import type { TaskOutcome } from '../src/executors/messages.js'
import { processesMode } from '../src/executors/processes.js'
import { threadsMode } from '../src/executors/threads.js'
import type { JobSpec } from '../src/jobs/spec-service.js'
import { executionPlanOf, jobContextOf } from '../src/jobs/task-plan.js'
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

test('threads and processes warm up inside the very workers that then run the measured tasks', async () => {
  for (const mode of [threadsMode, processesMode]) {
    const spec = { workload: 'hash', params: { bytes: 256, rounds: 1 }, seed: 1 } as unknown as JobSpec
    const warmOutcomes: TaskOutcome[] = []
    const outcomes: TaskOutcome[] = []
    const plan: ExecutionPlan = {
      ...executionPlanOf({ ...spec, tasks: 12, concurrency: 2, batch: 'auto' } as JobSpec, jobContextOf('warm-test', spec, undefined, { upstreamUrl: 'http://127.0.0.1:1', config: loadConfig({}) }), loadConfig({}), new AbortController().signal, (more) => outcomes.push(...more), true),
      warmup: { tasks: 5 },
      onWarmupOutcomes: (more) => warmOutcomes.push(...more)
    }
    const result = await mode.run(plan, { pool: undefined as never, engines: new Map() })
    assert.deepEqual(result.warmup && result.warmup.tasks, 5, mode.name)
    assert.deepEqual(warmOutcomes.map((outcome) => outcome.index).sort((a, b) => a - b), [12, 13, 14, 15, 16], `${mode.name}: warm-up task numbers follow the job's`)
    assert.deepEqual(outcomes.map((outcome) => outcome.index).sort((a, b) => a - b), [...Array(12).keys()], `${mode.name}: every measured task once`)
    const workersOf = (list: TaskOutcome[]) => [...new Set(list.map((outcome) => outcome.worker))].sort()
    assert.equal(workersOf(warmOutcomes).length, 2, `${mode.name}: both workers warmed`)
    const warmed = workersOf(warmOutcomes)
    assert.ok(workersOf(outcomes).every((worker) => warmed.includes(worker)), `${mode.name}: the measured tasks ran in the warmed workers ${warmed.join(', ')}: ${workersOf(outcomes).join(', ')}`)
    if (mode === processesMode) {
      const total = result.childCpu!.userMs + result.childCpu!.systemMs
      const inWindow = result.childCpuInWindow!.userMs + result.childCpuInWindow!.systemMs
      assert.ok(inWindow > 0 && inWindow < total, `children's CPU inside the window ${inWindow} ms < over their life ${total} ms`)
    }
  }
})

test('a threads or processes job without warm-up is always cold (fresh workers); warmup.ms runs in them', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['threads', 'processes']) {
    for (let run = 0; run < 2; run++) {
      const cold = await runJob(app, { workload: 'hash', mode, tasks: 4, concurrency: 2, params: { bytes: 1024, rounds: 1 } })
      assert.ok(cold.report!.warnings.some((warning) => warning.startsWith(`cold: ${mode} starts fresh workers`)), `${mode} run ${run}: ${cold.report!.warnings.join('; ')}`)
    }
    const timed = await runJob(app, { workload: 'db', mode, tasks: 4, concurrency: 2, warmup: { ms: 150 }, params: { latencyMs: 5 } })
    assert.equal(timed.status, 'succeeded', mode)
    assert.ok(timed.report!.warmup!.ms >= 150, `${mode}: warm-up ${timed.report!.warmup!.ms} ms`)
    assert.ok(timed.report!.warmup!.tasks >= 2 * 20, `${mode}: ${timed.report!.warmup!.tasks} warm-up tasks in 150 ms of 5 ms tasks on 2 workers`)
    assert.ok(timed.report!.warnings.every((warning) => !warning.startsWith('cold:')), `${mode}: ${timed.report!.warnings.join('; ')}`)
    assert.equal(timed.report!.tasks.done, 4, mode)
  }
})
