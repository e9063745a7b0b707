import assert from 'node:assert/strict'
import { test } from 'node:test'
import { arrivalSchedule } from '../src/executors/arrivals.js'
import { MODES, buildTestApp, runJob } from './support/app.js'

/** Due, start, end: queueMs and responseMs beside latencyMs (service time), closed and open loop. */

test('closed loop: tasks behind others in a pool batch show their wait as queueMs; responseMs = queueMs + latencyMs', async (t) => {
  const app = await buildTestApp(t, { POOL_SIZE: 2 })
  const job = await runJob(app, { workload: 'db', mode: 'pool', tasks: 40, concurrency: 2, batch: 10, params: { latencyMs: 2 } })
  const { latencyMs, queueMs, responseMs, arrivals } = job.report!
  assert.deepEqual(arrivals, { process: 'closed', rate: null, achievedRate: null, lateStarts: 0 })
  assert.equal(queueMs!.count, 40)
  // The last task of a batch of 10 waited for the 9 before it (≈ 2 ms each).
  assert.ok(queueMs!.max >= 9 * 2 * 0.9, `queue max ${queueMs!.max}`)
  assert.ok(queueMs!.min < 1, `queue min ${queueMs!.min}: the first task of a batch starts at once`)
  assert.ok(responseMs!.max >= queueMs!.max && responseMs!.max <= queueMs!.max + latencyMs!.max + 0.01)
  assert.ok(Math.abs(responseMs!.mean - (queueMs!.mean + latencyMs!.mean)) < 0.01, 'response = queue + service, on average exactly')
})

test('closed loop: in every mode each task has a due time, and one task at a time waits (almost) nothing', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of MODES) {
    const job = await runJob(app, { workload: 'db', mode, tasks: 12, concurrency: 1, params: { latencyMs: 1 } })
    const { queueMs, responseMs } = job.report!
    assert.equal(queueMs!.count, 12, mode)
    assert.equal(responseMs!.count, 12, mode)
    // With batch auto the batching modes send one task per dispatch until run times are known; inline, async and
    // threads take the next task as soon as the slot frees.
    if (mode === 'inline' || mode === 'async' || mode === 'threads') assert.ok(queueMs!.p50 < 1, `${mode}: queue p50 ${queueMs!.p50}`)
  }
})

test('open loop at half of capacity: responseMs p50 within 20 % of latencyMs p50, the rate achieved', async (t) => {
  const app = await buildTestApp(t)
  // One 20 ms query at a time serves 50/s; 25/s arrive.
  const job = await runJob(app, { workload: 'db', mode: 'async', tasks: 20, concurrency: 1, rate: 25, params: { latencyMs: 20 } })
  const { latencyMs, responseMs, arrivals, tasks } = job.report!
  assert.equal(tasks.done, 20)
  assert.equal(arrivals.process, 'constant')
  assert.equal(arrivals.rate, 25)
  assert.ok(Math.abs(arrivals.achievedRate! - 25) / 25 < 0.1, `achieved ${arrivals.achievedRate}`)
  assert.ok(Math.abs(responseMs!.p50 - latencyMs!.p50) / latencyMs!.p50 <= 0.2, `response p50 ${responseMs!.p50} vs latency p50 ${latencyMs!.p50}`)
  // Arrivals were 40 ms apart: the job lasts the schedule, not the work.
  assert.ok(job.report!.wallMs >= 19 * 40 * 0.95, `wall ${job.report!.wallMs}`)
})

test('open loop above capacity: callers wait longer and longer (responseMs) while the service time stays flat', async (t) => {
  const app = await buildTestApp(t)
  // 100/s arrive, 50/s are served: the i-th task waits ≈ i × 10 ms.
  const job = await runJob(app, { workload: 'db', mode: 'async', tasks: 40, concurrency: 1, rate: 100, params: { latencyMs: 20 } })
  const { latencyMs, queueMs, responseMs, arrivals } = job.report!
  assert.ok(latencyMs!.max < 40, `service time flat: max ${latencyMs!.max}`)
  assert.ok(queueMs!.max > 300, `the last task waited ≈ 390 ms: ${queueMs!.max}`)
  assert.ok(responseMs!.p99 > 5 * latencyMs!.p99, `response p99 ${responseMs!.p99} vs latency p99 ${latencyMs!.p99}`)
  assert.ok(arrivals.lateStarts >= 30, `late starts ${arrivals.lateStarts}`)
  assert.ok(arrivals.achievedRate! < 60, `achieved ${arrivals.achievedRate} of 100`)
})

test('open loop runs in every mode, never starts a task before it is due, and caps what runs at concurrency', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of MODES) {
    const job = await runJob(app, { workload: 'db', mode, tasks: 30, concurrency: 1, rate: 200, arrivals: 'poisson', seed: 5, params: { latencyMs: 1 } })
    const { tasks, queueMs, arrivals, wallMs } = job.report!
    assert.equal(tasks.done, 30, mode)
    assert.equal(arrivals.process, 'poisson', mode)
    assert.equal(job.spec.arrivals, 'poisson')
    assert.ok(queueMs!.min >= 0, mode)
    // 30 arrivals at a mean 5 ms apart: the run lasts about as long as the schedule.
    const schedule = arrivalSchedule(30, 200, 'poisson', 5).offsetsMs.at(-1)!
    assert.ok(wallMs >= schedule * 0.95, `${mode}: wall ${wallMs} for a schedule of ${schedule} ms`)
  }
})

test('arrival schedules: constant is evenly spaced, poisson is seeded with the asked mean', () => {
  const constant = arrivalSchedule(5, 4, 'constant', 1).offsetsMs
  assert.deepEqual([...constant], [0, 250, 500, 750, 1000])
  const a = arrivalSchedule(20_000, 1000, 'poisson', 7).offsetsMs
  const b = arrivalSchedule(20_000, 1000, 'poisson', 7).offsetsMs
  assert.deepEqual(a, b)
  assert.notDeepEqual(a, arrivalSchedule(20_000, 1000, 'poisson', 8).offsetsMs)
  const meanGap = a.at(-1)! / (a.length - 1)
  assert.ok(Math.abs(meanGap - 1) < 0.03, `mean gap ${meanGap} ms`)
})

test('rate: limits and rules name the field', async (t) => {
  const app = await buildTestApp(t, { MAX_RATE: 500 })
  const post = (payload: object) => app.inject({ method: 'POST', url: '/jobs', payload })
  const tooFast = await post({ workload: 'hash', mode: 'pool', rate: 501 })
  assert.equal(tooFast.statusCode, 400)
  assert.equal(tooFast.json().message, 'body/rate must be <= 500 (MAX_RATE)')
  const zero = await post({ workload: 'hash', mode: 'pool', rate: 0 })
  assert.equal(zero.statusCode, 400)
  assert.match(zero.json().message, /^body\/rate must be > 0/)
  const noRate = await post({ workload: 'hash', mode: 'pool', arrivals: 'poisson' })
  assert.equal(noRate.statusCode, 400)
  assert.equal(noRate.json().message, 'body/arrivals needs body/rate (without a rate the job is closed-loop)')
  const tooLong = await post({ workload: 'hash', mode: 'pool', tasks: 1001, rate: 10, timeoutMs: 60_000 })
  assert.equal(tooLong.statusCode, 400)
  assert.equal(tooLong.json().message, 'body/rate: 1001 tasks at 10/s arrive over 100000 ms, longer than body/timeoutMs (60000); raise rate or timeoutMs, or lower tasks')
  const badProcess = await post({ workload: 'hash', mode: 'pool', rate: 10, arrivals: 'bursty' })
  assert.equal(badProcess.statusCode, 400)
  assert.equal(badProcess.json().message, 'body/arrivals must be one of: constant, poisson')
})
