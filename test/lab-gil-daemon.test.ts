import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { test } from 'node:test'
import { buildTestApp, getJob, runJob, submitJob, waitFor } from './support/app.js'

const cpuBound = { workload: 'hash', tasks: 300, warmup: { tasks: 20 }, params: { bytes: 65_536, rounds: 10 } }
const multiCore = availableParallelism() >= 2 ? false : 'needs at least 2 cores'

test('under the emulated GIL two threads hash no faster than one; without it they do', { skip: multiCore }, async (t) => {
  const app = await buildTestApp(t)
  await runJob(app, { ...cpuBound, mode: 'threads', concurrency: 1 }) // warm-up: data and code paths
  const rate = async (concurrency: number, gil: boolean) => {
    const job = await runJob(app, { ...cpuBound, mode: 'threads', concurrency, gil })
    assert.equal(job.status, 'succeeded')
    assert.equal(job.report!.tasks.done, cpuBound.tasks)
    return job
  }
  const gil1 = await rate(1, true)
  const gil2 = await rate(2, true)
  const free1 = await rate(1, false)
  const free2 = await rate(2, false)
  const gilSpeedup = gil2.report!.tasksPerSec / gil1.report!.tasksPerSec
  const freeSpeedup = free2.report!.tasksPerSec / free1.report!.tasksPerSec
  assert.ok(gilSpeedup < 1.25, `with the GIL 2 threads ran ${gilSpeedup.toFixed(2)}× one thread`)
  assert.ok(freeSpeedup > 1.3, `without the GIL 2 threads ran ${freeSpeedup.toFixed(2)}× one thread`)
  // The lock's cost is visible: with two threads they waited for it, and without a GIL there is nothing to report.
  assert.ok(gil2.report!.gilWaitMs!.count === cpuBound.tasks)
  assert.ok(gil2.report!.gilWaitMs!.max > 1, `max GIL wait ${gil2.report!.gilWaitMs!.max} ms`)
  assert.equal(free2.report!.gilWaitMs, null)
})

test('I/O-bound work still overlaps under the GIL: threads drop it while they wait', async (t) => {
  const app = await buildTestApp(t)
  for (const driver of ['async', 'blocking']) {
    const job = await runJob(app, { workload: 'db', mode: 'threads', concurrency: 4, tasks: 40, gil: true, params: { latencyMs: 50, driver } })
    assert.equal(job.status, 'succeeded')
    // one at a time would take 40 × 50 = 2000 ms; four overlapping, 500 ms
    assert.ok(job.report!.wallMs < 1000, `${driver}: wall ${job.report!.wallMs} ms`)
  }
  const pooled = await runJob(app, { workload: 'db', mode: 'pool', concurrency: 2, tasks: 20, gil: true, params: { latencyMs: 50 } })
  assert.ok(pooled.report!.wallMs < 20 * 50 * 0.75, `pool: wall ${pooled.report!.wallMs} ms`)
})

test('each child process has its own GIL: processes hash as fast with gil: true as without', async (t) => {
  const app = await buildTestApp(t)
  const free = await runJob(app, { ...cpuBound, mode: 'processes', concurrency: 2 })
  const locked = await runJob(app, { ...cpuBound, mode: 'processes', concurrency: 2, gil: true })
  assert.equal(locked.status, 'succeeded')
  assert.ok(locked.report!.gilWaitMs!.max < 5, `a lone thread per process never waits long: ${locked.report!.gilWaitMs!.max} ms`)
  const ratio = locked.report!.tasksPerSec / free.report!.tasksPerSec
  assert.ok(ratio > 0.7, `processes under the GIL ran at ${ratio.toFixed(2)}× their speed without it`)
})

test('shutdown abandons a daemon job at once and lets a short non-daemon job finish', async (t) => {
  const app = await buildTestApp(t, { MAX_RUNNING_JOBS: 2 })
  const daemon = await submitJob(app, { workload: 'db', mode: 'async', tasks: 100_000, concurrency: 2, daemon: true, params: { latencyMs: 20 } })
  const worker = await submitJob(app, { workload: 'db', mode: 'async', tasks: 10, concurrency: 1, params: { latencyMs: 60 } })
  await waitFor(async () => (await getJob(app, daemon.id)).progress.done > 0 && (await getJob(app, worker.id)).status === 'running')
  const daemonJob = app.lab.scheduler.get(daemon.id)
  const workerJob = app.lab.scheduler.get(worker.id)
  const started = performance.now()
  const closing = app.close()
  await daemonJob.ended()
  const daemonEndedMs = performance.now() - started
  await closing
  assert.equal(daemonJob.status, 'cancelled')
  assert.match(daemonJob.error!.message, /daemon job is abandoned at once/)
  assert.ok(daemonEndedMs < 400, `the daemon job ended ${daemonEndedMs} ms after shutdown began`)
  assert.equal(workerJob.status, 'succeeded', JSON.stringify(workerJob.error))
  assert.equal(workerJob.progress.done, 10)
})

test('a non-daemon job still running after DAEMON_SHUTDOWN_WAIT_MS is cancelled', async (t) => {
  const app = await buildTestApp(t, { DAEMON_SHUTDOWN_WAIT_MS: 300 })
  const { id } = await submitJob(app, { workload: 'db', mode: 'async', tasks: 100_000, params: { latencyMs: 20 } })
  await waitFor(async () => (await getJob(app, id)).progress.done > 0)
  const job = app.lab.scheduler.get(id)
  const started = performance.now()
  await app.close()
  const tookMs = performance.now() - started
  assert.equal(job.status, 'cancelled')
  assert.match(job.error!.message, /non-daemon job still running after DAEMON_SHUTDOWN_WAIT_MS/)
  assert.ok(tookMs >= 250 && tookMs < 3000, `shutdown took ${tookMs} ms`)
})

test('gil, switchIntervalMs and daemon are validated', async (t) => {
  const app = await buildTestApp(t)
  for (const [payload, message] of [
    [{ workload: 'hash', mode: 'threads', gil: 'yes' }, /body\/gil must be boolean/],
    [{ workload: 'hash', mode: 'threads', gil: true, switchIntervalMs: 0 }, /body\/switchIntervalMs must be >= 0.1/],
    [{ workload: 'hash', mode: 'threads', daemon: 1 }, /body\/daemon must be boolean/]
  ] as const) {
    const response = await app.inject({ method: 'POST', url: '/jobs', payload })
    assert.equal(response.statusCode, 400)
    assert.match(response.json().message, message)
  }
})
