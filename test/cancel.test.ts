import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MODES, buildTestApp, childPids, fileDirsOf, getJob, submitJob, waitFor } from './support/app.js'

/** Threads and children that jobs started (the pool's own threads are replaced after a cancel, on their own time). */
async function liveWorkers (app: Awaited<ReturnType<typeof buildTestApp>>) {
  const { threads, processes } = (await app.inject({ method: 'GET', url: '/readyz' })).json().workers as Record<string, number>
  return { threads, processes }
}

test('cancel in every mode stops the job, keeps a partial report and leaves no thread, child or temp dir', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of MODES) {
    // A job far too long to finish on its own: 100 000 file tasks.
    const spec = { workload: 'file', mode, tasks: 100_000, concurrency: mode === 'inline' ? 1 : 2, params: { bytes: 65_536 } }
    const { id } = await submitJob(app, spec)
    await waitFor(async () => (await getJob(app, id)).progress.done >= 3, 30_000, `${mode} job progress`)
    const response = await app.inject({ method: 'DELETE', url: `/jobs/${id}` })
    assert.equal(response.statusCode, 200, response.body)
    const job = response.json()
    assert.equal(job.status, 'cancelled', mode)
    assert.equal(job.error.code, 'JOB_CANCELLED', mode)
    assert.ok(job.progress.done >= 3 && job.progress.done < spec.tasks, `${mode}: done ${job.progress.done}`)
    assert.ok(job.report, `${mode}: partial report`)
    // The report closed with the cancel; a main-thread task still in flight then is counted in progress when it ends.
    assert.ok(job.report.tasks.done <= job.progress.done && job.progress.done - job.report.tasks.done <= spec.concurrency, `${mode}: report ${job.report.tasks.done}, progress ${job.progress.done}`)
    assert.ok(job.report.tasks.notRun > 0, mode)
    assert.ok(job.report.wallMs > 0, mode)
    assert.deepEqual(await liveWorkers(app), { threads: 0, processes: 0 }, `${mode}: live workers after cancel`)
    assert.deepEqual(childPids(), [], `${mode}: child processes after cancel`)
    assert.deepEqual(fileDirsOf(id), [], `${mode}: temp dir after cancel`)
    const again = await app.inject({ method: 'DELETE', url: `/jobs/${id}` })
    assert.equal(again.statusCode, 409)
  }
})

test('cancel stops CPU-bound work mid-task in threads and processes, and between tasks inline', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['inline', 'threads', 'processes', 'pool']) {
    // ~20 ms per task, 10 000 tasks: minutes of work.
    const { id } = await submitJob(app, { workload: 'hash', mode, tasks: 10_000, concurrency: mode === 'inline' ? 1 : 2, params: { bytes: 65_536, rounds: 200 } })
    await waitFor(async () => (await getJob(app, id)).progress.done >= 1, 30_000, `${mode} progress`)
    const started = performance.now()
    const job = (await app.inject({ method: 'DELETE', url: `/jobs/${id}` })).json()
    const tookMs = performance.now() - started
    assert.equal(job.status, 'cancelled', mode)
    assert.ok(job.progress.done < 10_000)
    assert.ok(tookMs < 5_000, `${mode}: cancel took ${tookMs} ms`)
    assert.deepEqual(await liveWorkers(app), { threads: 0, processes: 0 }, mode)
  }
  assert.deepEqual(childPids(), [])
})

test('timeoutMs fails the job with JOB_TIMEOUT and the same clean-up as cancel', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['async', 'threads', 'processes']) {
    const response = await app.inject({
      method: 'POST',
      url: '/jobs?wait=true',
      payload: { workload: 'file', mode, tasks: 100_000, concurrency: 2, timeoutMs: 1500, params: { bytes: 65_536 } }
    })
    const job = response.json()
    assert.equal(job.status, 'failed', mode)
    assert.equal(job.error.code, 'JOB_TIMEOUT', mode)
    assert.match(job.error.message, /timeoutMs \(1500 ms\)/)
    assert.ok(job.report.tasks.notRun > 0, mode)
    assert.deepEqual(fileDirsOf(job.id), [], mode)
    assert.deepEqual(await liveWorkers(app), { threads: 0, processes: 0 }, mode)
  }
})

test('a queued job can be cancelled before it starts; jobs run one at a time in FIFO order', async (t) => {
  const app = await buildTestApp(t)
  const first = await submitJob(app, { workload: 'db', mode: 'async', tasks: 10, concurrency: 1, params: { latencyMs: 50 } })
  const second = await submitJob(app, { workload: 'db', mode: 'async', tasks: 1, params: { latencyMs: 1 } })
  const third = await submitJob(app, { workload: 'db', mode: 'async', tasks: 1, params: { latencyMs: 1 } })
  assert.equal((await getJob(app, second.id)).status, 'queued')
  const cancelled = (await app.inject({ method: 'DELETE', url: `/jobs/${second.id}` })).json()
  assert.equal(cancelled.status, 'cancelled')
  assert.equal(cancelled.report, null)
  assert.equal(cancelled.progress.done, 0)
  await waitFor(async () => (await getJob(app, third.id)).status === 'succeeded', 20_000, 'third job')
  const a = await getJob(app, first.id)
  const c = await getJob(app, third.id)
  assert.equal(a.status, 'succeeded')
  assert.ok(Date.parse(c.startedAt!) >= Date.parse(a.finishedAt!), 'the third job started after the first ended')
})

test('startDelayMs delays the first task and can be cancelled', async (t) => {
  const app = await buildTestApp(t)
  const started = performance.now()
  const job = (await app.inject({ method: 'POST', url: '/jobs?wait=true', payload: { workload: 'db', mode: 'async', tasks: 1, startDelayMs: 300, params: { latencyMs: 1 } } })).json()
  assert.equal(job.status, 'succeeded')
  assert.ok(performance.now() - started >= 290)
  const { id } = await submitJob(app, { workload: 'db', mode: 'async', tasks: 1, startDelayMs: 60_000 })
  await waitFor(async () => (await getJob(app, id)).status === 'running')
  const cancelled = (await app.inject({ method: 'DELETE', url: `/jobs/${id}` })).json()
  assert.equal(cancelled.status, 'cancelled')
  assert.equal(cancelled.progress.done, 0)
})

test('closing the app (shutdown) cancels running jobs and kills their children', async (t) => {
  const app = await buildTestApp(t)
  const { id } = await submitJob(app, { workload: 'db', mode: 'processes', tasks: 10_000, concurrency: 2, daemon: true, params: { latencyMs: 20 } })
  await waitFor(async () => (await getJob(app, id)).progress.done >= 2, 30_000, 'progress')
  const job = app.lab.scheduler.get(id)
  await app.close()
  assert.equal(job.status, 'cancelled')
  assert.match(job.error!.message, /shutdown/)
  assert.deepEqual(childPids(), [])
})

test('cancel does not wait for long main-thread tasks in flight', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['inline', 'async']) {
    const { id } = await submitJob(app, { workload: 'db', mode, tasks: 10, concurrency: mode === 'inline' ? 1 : 2, params: { latencyMs: 20_000 } })
    await waitFor(async () => (await getJob(app, id)).status === 'running')
    const started = performance.now()
    const job = (await app.inject({ method: 'DELETE', url: `/jobs/${id}` })).json()
    assert.equal(job.status, 'cancelled', mode)
    assert.equal(job.progress.done, 0, mode)
    assert.ok(performance.now() - started < 5_000, `${mode}: cancel waited for a 20 s query`)
  }
})
