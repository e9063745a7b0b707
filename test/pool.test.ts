import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, getJob, runJob, submitJob, waitFor } from './support/app.js'

/** The warm pool: several tasks per thread, cancel and replaced threads, many tasks in flight. */

test('pool mode with several tasks per thread really runs concurrency tasks at once, and cancels cooperatively', async (t) => {
  const app = await buildTestApp(t, { POOL_SIZE: 2, POOL_TASKS_PER_THREAD: 10 })
  const job = await runJob(app, { workload: 'db', mode: 'pool', tasks: 20, concurrency: 20, params: { latencyMs: 100 } })
  assert.equal(job.report!.tasks.done, 20)
  // 20 in flight over 2 threads × 10: about one latency, not 20 / 2 latencies (1 s).
  assert.ok(job.report!.wallMs < 600, `wall ${job.report!.wallMs} ms`)
  const { id } = await submitJob(app, { workload: 'db', mode: 'pool', tasks: 100_000, concurrency: 20, params: { latencyMs: 20 } })
  await waitFor(async () => (await getJob(app, id)).progress.done >= 20)
  const cancelled = (await app.inject({ method: 'DELETE', url: `/jobs/${id}` })).json()
  assert.equal(cancelled.status, 'cancelled')
  assert.ok(cancelled.progress.done < 100_000)
})

test('after a pool cancel the next pool job waits for the replaced thread and reports it as start-up', async (t) => {
  const app = await buildTestApp(t, { POOL_SIZE: 2 })
  const { id } = await submitJob(app, { workload: 'hash', mode: 'pool', tasks: 1000, concurrency: 2, params: { bytes: 65_536, rounds: 500 } })
  await waitFor(async () => (await getJob(app, id)).progress.done >= 1)
  await app.inject({ method: 'DELETE', url: `/jobs/${id}` }) // terminates the threads running tasks
  const next = await runJob(app, { workload: 'hash', mode: 'pool', tasks: 4, concurrency: 2, params: { rounds: 1 } })
  assert.equal(next.status, 'succeeded')
  assert.ok(next.report!.startupMs > 0, 'waiting for the replacement threads is start-up, not wall time')
  assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).json().pool.threads, 2)
})

test('jobs with many tasks in flight raise no MaxListenersExceededWarning', async (t) => {
  const app = await buildTestApp(t)
  const warnings: string[] = []
  const onWarning = (warning: Error) => warnings.push(warning.name)
  process.on('warning', onWarning)
  t.after(() => process.off('warning', onWarning))
  await runJob(app, { workload: 'db', mode: 'pool', tasks: 40, concurrency: 20, params: { latencyMs: 5 } })
  await runJob(app, { workload: 'net', mode: 'async', tasks: 40, concurrency: 20, params: { latencyMs: 5 } })
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(warnings.filter((name) => name === 'MaxListenersExceededWarning'), [])
})
