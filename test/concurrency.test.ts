import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, getJob, listenTestApp, runJob, submitJob, waitFor } from './support/app.js'

test('async mode overlaps I/O: db latency L at concurrency C takes far less than tasks × L', async (t) => {
  const app = await buildTestApp(t)
  const tasks = 200
  const latencyMs = 50
  const job = await runJob(app, { workload: 'db', mode: 'async', tasks, concurrency: 50, params: { latencyMs } })
  assert.equal(job.status, 'succeeded')
  const serialMs = tasks * latencyMs // 10 s one after another; ideal with 50 in flight: 200 ms
  assert.ok(job.report!.wallMs < serialMs / 4, `wall ${job.report!.wallMs} ms vs serial ${serialMs} ms`)
  assert.ok(job.report!.latencyMs!.p50 >= latencyMs * 0.9, 'each query still takes its latency')
  // The event loop was mostly idle: waiting is not working.
  assert.ok(job.report!.eventLoop.utilization < 0.9, `event loop utilization ${job.report!.eventLoop.utilization}`)
})

test('db connections cap concurrent queries: extra queries wait, and their wait is reported', async (t) => {
  const app = await buildTestApp(t)
  const latencyMs = 20
  const tasks = 40
  // 10 in flight but 2 connections: at least tasks / 2 × latency.
  const capped = await runJob(app, { workload: 'db', mode: 'async', tasks, concurrency: 10, params: { latencyMs, connections: 2 } })
  assert.ok(capped.report!.wallMs >= (tasks / 2) * latencyMs * 0.9, `wall ${capped.report!.wallMs}`)
  assert.equal(capped.report!.waitMs!.count, tasks)
  assert.ok(capped.report!.waitMs!.max >= latencyMs, `max wait ${capped.report!.waitMs!.max}`)
  // The pool is shared by every thread of the job: 4 threads, 1 connection → one query at a time.
  const threads = await runJob(app, { workload: 'db', mode: 'threads', tasks: 20, concurrency: 4, params: { latencyMs, connections: 1, driver: 'blocking' } })
  assert.equal(threads.status, 'succeeded')
  assert.ok(threads.report!.wallMs >= 20 * latencyMs * 0.9, `threads wall ${threads.report!.wallMs}`)
  // Without a cap the same job overlaps 4 ways.
  const free = await runJob(app, { workload: 'db', mode: 'threads', tasks: 20, concurrency: 4, params: { latencyMs, driver: 'blocking' } })
  assert.ok(free.report!.wallMs < threads.report!.wallMs / 2, `uncapped ${free.report!.wallMs} vs capped ${threads.report!.wallMs}`)
  assert.equal(free.report!.waitMs, null)
})

test('a log-normal db latency has the asked median and tail', async (t) => {
  const app = await buildTestApp(t)
  const job = await runJob(app, { workload: 'db', mode: 'async', tasks: 400, concurrency: 400, params: { p50Ms: 20, p99Ms: 80 } })
  const latency = job.report!.latencyMs!
  // Timers fire late on a busy machine, by about the same amount for every task: check the floor and the spread.
  assert.ok(latency.p50 >= 18, `p50 ${latency.p50}`)
  const spread = latency.p99 - latency.p50 // ≈ 50 ms for p50 20, p99 80
  assert.ok(spread > 25 && spread < 90, `p99 − p50 = ${spread} (${JSON.stringify(latency)})`)
})

async function healthzLatencies (url: string, count: number): Promise<number[]> {
  const latencies: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    const response = await fetch(`${url}/healthz`)
    assert.equal(response.status, 200)
    await response.text()
    latencies.push(performance.now() - started)
  }
  return latencies
}

test('CPU work inline stalls /healthz; the same job in the pool does not', async (t) => {
  const { app, url } = await listenTestApp(t)
  await healthzLatencies(url, 3) // warm the connection path
  // Each task hashes 16 MiB 20 times (≈ 300 ms here): one task holds the event loop that long.
  const spec = { workload: 'hash', tasks: 4, params: { bytes: 16 * 1024 * 1024, rounds: 20 } }

  const inline = await submitJob(app, { ...spec, mode: 'inline' })
  await waitFor(async () => (await getJob(app, inline.id)).status === 'running')
  const stalled = await healthzLatencies(url, 3)
  await app.lab.scheduler.get(inline.id).ended()

  const pool = await submitJob(app, { ...spec, mode: 'pool', concurrency: 2 })
  await waitFor(async () => (await getJob(app, pool.id)).status === 'running')
  const responsive = await healthzLatencies(url, 3)
  await app.lab.scheduler.get(pool.id).ended()

  const inlineJob = await getJob(app, inline.id)
  const taskMs = inlineJob.report!.latencyMs!.p50
  assert.ok(taskMs >= 100, `a task ran ${taskMs} ms`)
  assert.ok(Math.max(...stalled) >= taskMs / 2, `inline: /healthz took ${stalled.map(Math.round)} ms with ${taskMs}-ms tasks`)
  assert.ok(Math.max(...responsive) < 100, `pool: /healthz took ${responsive.map(Math.round)} ms`)
  assert.ok(inlineJob.report!.eventLoop.delayP99Ms >= taskMs / 2, `inline event-loop delay p99 ${inlineJob.report!.eventLoop.delayP99Ms} with ${taskMs}-ms tasks`)
})

test('the db connection pool serves queries first come, first served, and failed queries record their wait too', async (t) => {
  const app = await buildTestApp(t)
  // 50 in flight on 20 connections, 10 ms queries: each waits ≈ (50 − 20) ÷ 20 × 10 ms = 15 ms in a fair queue.
  for (const mode of ['async', 'threads'] as const) {
    const total = mode === 'async' ? 1000 : 400
    const job = await runJob(app, { workload: 'db', mode, tasks: total, concurrency: mode === 'async' ? 50 : 10, seed: 2, params: { latencyMs: 10, connections: mode === 'async' ? 20 : 4, errorRate: 0.1 } })
    const { waitMs, tasks } = job.report!
    assert.ok(tasks.failed > total / 20, `${mode}: some queries failed`)
    assert.equal(waitMs!.count, total, `${mode}: every query, failed ones too, has its wait`)
    assert.ok(waitMs!.p99 < 80, `${mode}: wait p99 ${waitMs!.p99} ms (an unfair pool starves some queries for most of the job)`)
    assert.ok(waitMs!.p50 > 5, `${mode}: wait p50 ${waitMs!.p50} ms (queries do queue)`)
  }
})
