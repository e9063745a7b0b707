import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MODES, buildTestApp, childPids, getJob, runJob, submitJob, waitFor } from './support/app.js'

test('a task that throws counts as failed with its message; the job and the service go on', async (t) => {
  const app = await buildTestApp(t, { MAX_JOB_ERRORS: 3 })
  for (const mode of MODES) {
    const job = await runJob(app, { workload: 'db', mode, tasks: 40, concurrency: mode === 'inline' ? 1 : 2, seed: 5, params: { latencyMs: 1, errorRate: 0.5 } })
    const { done, failed } = job.report!.tasks
    assert.equal(job.status, 'succeeded', mode)
    assert.equal(done + failed, 40, mode)
    assert.ok(failed > 5 && failed < 35, `${mode}: ${failed} of 40 failed at errorRate 0.5`)
    assert.equal(job.progress.failed, failed)
    assert.equal(job.report!.errors.length, 3, `${mode}: errors list bounded by MAX_JOB_ERRORS`)
    assert.equal(job.report!.errorsOmitted, failed - 3, mode)
    assert.match(job.report!.errors[0]!.message, /db: query \d+ failed \(simulated, errorRate 0.5\)/)
  }
  // Seeded: the same tasks fail in every mode.
  const a = await runJob(app, { workload: 'db', mode: 'inline', tasks: 40, seed: 5, params: { latencyMs: 0, errorRate: 0.5 } })
  const b = await runJob(app, { workload: 'db', mode: 'pool', tasks: 40, concurrency: 2, seed: 5, params: { latencyMs: 0, errorRate: 0.5 } })
  assert.equal(a.report!.tasks.failed, b.report!.tasks.failed)
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})

test('a worker that crashes fails the task it was running; the job finishes on the others', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['threads', 'pool', 'processes']) {
    const job = await runJob(app, { workload: 'hash', mode, tasks: 30, concurrency: 2, batch: 1, crashAtTask: 3, params: { bytes: 64, rounds: 1 } })
    assert.equal(job.status, 'succeeded', `${mode}: ${JSON.stringify(job.error)}`)
    assert.equal(job.report!.tasks.failed, 1, mode)
    assert.equal(job.report!.tasks.done, 29, mode)
    assert.equal(job.report!.workerDeaths, 1, mode)
    const [error] = job.report!.errors
    assert.equal(error!.index, 3, mode)
    assert.match(error!.message, mode === 'pool' ? /pool thread died/ : /exited with code 70/, mode)
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  }
  // With batches, a pool dispatch returns its outcomes together, so a dying thread fails its whole batch (0…4).
  const pool = await runJob(app, { workload: 'hash', mode: 'pool', tasks: 30, concurrency: 2, batch: 5, crashAtTask: 3, params: { bytes: 64, rounds: 1 } })
  assert.deepEqual(pool.report!.tasks, { total: 30, done: 25, failed: 5, notRun: 0 })
  // A child reports as it goes: it fails the rest of the chunk it was running (3, 4); the chunk it held ahead
  // (10…14) never started and runs on the other child. Nothing is lost.
  const processes = await runJob(app, { workload: 'hash', mode: 'processes', tasks: 30, concurrency: 2, batch: 5, crashAtTask: 3, params: { bytes: 64, rounds: 1 } })
  assert.deepEqual(processes.report!.tasks, { total: 30, done: 28, failed: 2, notRun: 0 })
  assert.deepEqual(processes.report!.errors.map((error) => error.index), [3, 4])
  assert.equal(processes.report!.workers.reduce((sum, worker) => sum + worker.tasks, 0), 28)
  // The warm pool replaced its thread and still works.
  const after = await runJob(app, { workload: 'hash', mode: 'pool', tasks: 10, concurrency: 2 })
  assert.equal(after.report!.tasks.done, 10)
})

test('when every thread or process dies the job fails with a clear error', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['threads', 'processes']) {
    const job = await runJob(app, { workload: 'hash', mode, tasks: 10, concurrency: 1, batch: 1, crashAtTask: 2 })
    assert.equal(job.status, 'failed', mode)
    assert.equal(job.error!.code, 'JOB_WORKERS_DIED', mode)
    assert.match(job.error!.message, /all 1 .* died before the job finished/, mode)
    assert.equal(job.report!.tasks.done, 2, mode)
    assert.equal(job.report!.tasks.failed, 1, mode)
    assert.equal(job.report!.tasks.notRun, 7, mode)
  }
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})

test('a child process killed from outside fails its tasks; the job finishes on the other child', async (t) => {
  const app = await buildTestApp(t)
  const { id } = await submitJob(app, { workload: 'db', mode: 'processes', tasks: 60, concurrency: 2, batch: 1, params: { latencyMs: 30 } })
  await waitFor(async () => (await getJob(app, id)).progress.done >= 4, 30_000, 'progress')
  const children = childPids()
  assert.equal(children.length, 2, 'the job runs two child processes')
  process.kill(children[0]!, 'SIGKILL')
  const job = app.lab.scheduler.get(id)
  await job.ended()
  assert.equal(job.status, 'succeeded')
  assert.equal(job.report!.workerDeaths, 1)
  assert.equal(job.report!.tasks.failed, 1)
  assert.equal(job.report!.tasks.done, 59)
  assert.match(job.report!.errors[0]!.message, new RegExp(`pid ${children[0]} exited with SIGKILL during task \\d+`))
  assert.deepEqual(childPids(), [])
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})
