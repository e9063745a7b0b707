import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LatencyStats } from '../src/measure/latency-stats.js'
import { buildTestApp, getJob, listenTestApp, runJob, submitJob, waitFor } from './support/app.js'

test('shutdown does not wait for SSE clients or ?wait=true requests: their jobs are cancelled first', async (t) => {
  const { app, url } = await listenTestApp(t)
  const { id } = await submitJob(app, { workload: 'db', mode: 'async', tasks: 100_000, concurrency: 2, daemon: true, params: { latencyMs: 20 } })
  const events = await fetch(`${url}/jobs/${id}/events`)
  const waiting = fetch(`${url}/jobs?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workload: 'db', mode: 'async', tasks: 10 })
  })
  await waitFor(async () => (await getJob(app, id)).progress.done >= 2 && app.lab.scheduler.queuedCount === 1)
  const started = performance.now()
  await app.close()
  assert.ok(performance.now() - started < 5_000, `close took ${performance.now() - started} ms`)
  const stream = await events.text()
  assert.match(stream, /event: end\ndata: .*"status":"cancelled"/)
  const queued = await (await waiting).json() as { status: string, error: { message: string } }
  assert.equal(queued.status, 'cancelled')
  assert.match(queued.error.message, /shutdown/)
})

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

test('percentiles stay within the exact min and max', () => {
  const stats = new LatencyStats()
  for (const ms of [51.2258, 51.2258, 51.2258, 0.5]) stats.record(ms)
  const summary = stats.summary()!
  assert.equal(summary.max, 51.2258)
  assert.ok(summary.p99 <= summary.max && summary.p50 <= summary.max && summary.p50 >= summary.min)
})

test('an idle event loop reports (near) zero delay, a blocked one its stall', async (t) => {
  const app = await buildTestApp(t)
  const idle = await runJob(app, { workload: 'db', mode: 'async', tasks: 20, concurrency: 2, params: { latencyMs: 20 } })
  assert.ok(idle.report!.eventLoop.delayP99Ms < 10, `idle delay p99 ${idle.report!.eventLoop.delayP99Ms}`)
  const blocked = await runJob(app, { workload: 'db', mode: 'inline', tasks: 2, params: { latencyMs: 200, driver: 'blocking' } })
  assert.ok(blocked.report!.eventLoop.delayMaxMs >= 150, `blocked delay max ${blocked.report!.eventLoop.delayMaxMs}`)
})

test('per-task work and file memory in flight are bounded, naming the fields and the limit', async (t) => {
  const app = await buildTestApp(t)
  const hash = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'pool', params: { bytes: 16_777_216, rounds: 100_000 } } })
  assert.equal(hash.statusCode, 400)
  assert.match(hash.json().message, /body\/params\/bytes × body\/params\/rounds must be <= 4294967296 per task \(MAX_HASH_TASK_BYTES\)/)
  const work = await app.inject({ method: 'GET', url: '/work/hash?bytes=16777216&rounds=100000' })
  assert.equal(work.statusCode, 400)
  assert.match(work.json().message, /querystring\/bytes × querystring\/rounds/)
  const file = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'file', mode: 'async', concurrency: 1000, params: { bytes: 67_108_864 } } })
  assert.equal(file.statusCode, 400)
  assert.match(file.json().message, /body\/params\/bytes × concurrency must be <= 1073741824 \(MAX_FILE_INFLIGHT_BYTES\)/)
})
