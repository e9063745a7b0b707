import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { LatencyStats } from '../../src/measure/latency-stats.js'
import { startReplicas, type Replica } from '../support/cluster-replicas.js'
import { external } from '../support/external.js'
import { startRedis, type RedisServer } from '../support/redis-server.js'

const redisServer = external('redis-server')

/** Short enough that a dead replica's slice runs again within the test, and that Redis's loss fails a job soon. */
const ENV = { POOL_SIZE: '1', CLUSTER_LOCK_MS: '1000', CLUSTER_REDIS_TIMEOUT_MS: '1500', CLUSTER_SLICE_MS: '100' }
/** One task ≈ 1–3 ms of sha256 here. */
const HASH = { bytes: 65_536, rounds: 8 }

let redis: RedisServer
let replicas: Replica[]

interface JobView { id: string, status: string, progress: { done: number, failed: number }, error?: { code: string, message: string }, report?: Record<string, any> }

async function call (url: string, method = 'GET', body?: unknown): Promise<{ status: number, body: any }> {
  const response = await fetch(url, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) }).catch((error: Error) => {
    const replica = replicas.find((one) => url.startsWith(one.url))
    throw new Error(`${method} ${url}: ${String(error.cause ?? error)}; ${replica?.id ?? '?'} exit ${String(replica?.process.exitCode ?? replica?.process.signalCode)}, its last lines: ${JSON.stringify(replica?.lines.filter((line) => line.level !== 10).slice(-5))}`)
  })
  return { status: response.status, body: await response.json() }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (performance.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`)
    await sleep(20)
  }
}

const slicesRunning = async (replica: Replica): Promise<number> => (await call(`${replica.url}/readyz`)).body.engines.cluster.slicesRunning as number

/**
 * Checks a finished cluster job against the replicas' trace logs: the slices the coordinator merged hold every
 * task index exactly once, and one histogram of every task's run time, built here, has the report's percentiles.
 */
function checkAgainstLogs (job: JobView, tasks: number, coordinator: Replica): void {
  const merged = coordinator.lines.filter((line) => line.msg === 'cluster slice merged' && line.job === job.id && line.source === 'job')
  const ran = new Map<string, Array<[number, number, number]>>()
  for (const replica of replicas) {
    for (const line of replica.lines) {
      if (line.msg === 'cluster slice ran' && line.job === job.id) ran.set(`${line.slice as string}@${replica.id}`, line.tasks as Array<[number, number, number]>)
    }
  }
  const seen = new Uint8Array(tasks)
  const latency = new LatencyStats()
  for (const line of merged) {
    const slice = ran.get(`${line.slice as string}@${line.ranOn as string}`)
    assert.ok(slice, `slice ${line.slice as string} merged from ${line.ranOn as string} was logged there`)
    for (const [index, runMs] of slice) {
      assert.equal(seen[index], 0, `task ${index} counted twice`)
      seen[index] = 1
      latency.record(runMs)
    }
  }
  assert.equal(seen.reduce((sum, one) => sum + one, 0), tasks, 'every task in exactly one merged slice')
  const expected = latency.summary()!
  const reported = job.report!.latencyMs
  for (const key of ['count', 'min', 'p50', 'p90', 'p99', 'max'] as const) assert.equal(reported[key], expected[key], `latencyMs.${key}: merged = one histogram of every task`)
}

// One Redis and three replicas for the whole file, in this order: the last two tests kill a replica, then Redis.
const cleanups: Array<() => Promise<void>> = []
const fixture = { after: (cleanup: () => Promise<void>) => { cleanups.push(cleanup) } }
before(async () => {
  if (!redisServer.available) return
  redis = await startRedis(fixture)
  replicas = await startReplicas(fixture, 3, { ...ENV, REDIS_URL: redis.url })
})
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

test('a cluster job across three replicas: exact totals, every replica ran slices, percentiles of the merge = one histogram of every task', { skip: redisServer.skip }, async () => {
  const tasks = 600
  const { status, body: job } = await call(`${replicas[0]!.url}/jobs?wait=true`, 'POST', { workload: 'hash', mode: 'cluster', tasks, concurrency: 6, params: HASH, warmup: { tasks: 30 } })
  assert.equal(status, 200)
  assert.equal(job.status, 'succeeded', JSON.stringify(job.error))
  const report = job.report
  assert.deepEqual(report.tasks, { total: tasks, done: tasks, failed: 0, notRun: 0 })
  assert.equal(report.latencyMs.count, tasks)
  assert.equal(report.responseMs.count, tasks)
  assert.equal(report.series.reduce((sum: number, row: { done: number }) => sum + row.done, 0), tasks, 'series rows add up to the total')
  const byReplica = report.byReplica as Array<{ replica: string, slices: number, tasks: number, busyMs: number, cpu: { coresUsed: number, perCore: unknown[] } }>
  assert.deepEqual(byReplica.map((row) => row.replica), ['r1', 'r2', 'r3'])
  for (const row of byReplica) {
    assert.ok(row.slices > 0 && row.tasks > 0 && row.busyMs > 0, `${row.replica} ran slices: ${JSON.stringify(row)}`)
    assert.ok(row.cpu.coresUsed > 0 && row.cpu.perCore.length > 0, `${row.replica} has its CPU`)
  }
  assert.equal(byReplica.reduce((sum, row) => sum + row.tasks, 0), tasks)
  assert.equal(byReplica.reduce((sum, row) => sum + row.slices, 0), report.dispatches, 'every slice handed out was merged once')
  assert.equal(report.retriedSlices, 0)
  // The report's cpu is the coordinator's alone, and says so instead of taking the other replicas for other load.
  assert.ok(report.warnings.some((warning: string) => warning.startsWith('partial cpu: ')), JSON.stringify(report.warnings))
  assert.ok(!report.warnings.some((warning: string) => warning.startsWith('other load:')), JSON.stringify(report.warnings))
  // queueMs ≤ responseMs: each task kept the due time its lane took it at
  assert.ok(report.queueMs.max <= report.responseMs.max)
  checkAgainstLogs(job, tasks, replicas[0]!)
  // Each replica counted the tasks it ran in its own metrics (source job; warm-up apart).
  let counted = 0
  for (const replica of replicas) {
    const text = await (await fetch(`${replica.url}/metrics`)).text()
    const match = /conclab_tasks_total\{mode="cluster",workload="hash",source="job",outcome="succeeded"\} (\d+)/.exec(text)
    counted += Number(match?.[1] ?? 0)
  }
  assert.equal(counted, tasks, 'the replicas\' task metrics add up to the job')
})

test('compare accepts cluster like any mode: a row per level, fitted by the scaling law over slices in flight', { skip: redisServer.skip }, async () => {
  const { status, body: comparison } = await call(`${replicas[0]!.url}/experiments/compare`, 'POST', { workload: 'hash', tasks: 240, params: HASH, modes: ['cluster'], concurrency: [1, 2, 3], warmup: { tasks: 12 } })
  assert.equal(status, 200, JSON.stringify(comparison))
  const rows = comparison.rows.filter((row: { mode: string }) => row.mode === 'cluster')
  assert.deepEqual(rows.map((row: { concurrency: number }) => row.concurrency), [1, 2, 3])
  for (const row of rows) assert.equal(row.status, 'succeeded', JSON.stringify(row.error))
  assert.deepEqual(comparison.skipped, [])
  const scaling = comparison.scaling.find((fit: { mode: string }) => fit.mode === 'cluster')
  assert.equal(scaling.over, 'workers', 'N = slices in flight (the mode\'s workersFor)')
  assert.equal(scaling.levels, 3)
  assert.equal(scaling.fitted, true, JSON.stringify(scaling))
  assert.ok(Number.isFinite(scaling.sigma) && Number.isFinite(scaling.kappa), JSON.stringify(scaling))
})

test('cancel stops every replica\'s slices within a second', { skip: redisServer.skip }, async () => {
  const { body: job } = await call(`${replicas[1]!.url}/jobs`, 'POST', { workload: 'hash', mode: 'cluster', tasks: 200_000, concurrency: 6, params: { bytes: 1_048_576, rounds: 4 } })
  await until('every replica runs a slice', async () => (await Promise.all(replicas.map(slicesRunning))).every((n) => n > 0) ? true : undefined)
  const cancelledAt = performance.now()
  const { body: cancelled } = await call(`${replicas[1]!.url}/jobs/${job.id as string}`, 'DELETE')
  assert.ok(['cancelled', 'running'].includes(cancelled.status))
  await until('no replica runs a slice', async () => (await Promise.all(replicas.map(slicesRunning))).every((n) => n === 0) ? true : undefined, 5000)
  const stoppedMs = performance.now() - cancelledAt
  assert.ok(stoppedMs < 1000, `every replica stopped within ${Math.round(stoppedMs)} ms`)
  const ended = await until('the job ends', async () => {
    const { body } = await call(`${replicas[1]!.url}/jobs/${job.id as string}`)
    return body.status === 'running' ? undefined : body as JobView
  })
  assert.equal(ended.status, 'cancelled')
  // Nothing of it is left in the queue for a replica to pick up later.
  await sleep(300)
  assert.deepEqual(await Promise.all(replicas.map(slicesRunning)), [0, 0, 0])
})

test('a cluster job streams progress and series rows over SSE, and its timeout stops every replica as a cancel does', { skip: redisServer.skip }, async () => {
  const { body: job } = await call(`${replicas[2]!.url}/jobs`, 'POST', { workload: 'hash', mode: 'cluster', tasks: 200_000, concurrency: 6, params: HASH, timeoutMs: 2500 })
  const stream = await fetch(`${replicas[2]!.url}/jobs/${job.id as string}/events`, { signal: AbortSignal.timeout(20_000) })
  let text = ''
  const decoder = new TextDecoder()
  for await (const chunk of stream.body!) {
    text += decoder.decode(chunk as Uint8Array, { stream: true })
    if (text.includes('event: end')) break
  }
  const progress = [...text.matchAll(/event: progress\ndata: (.*)\n/g)].map((match) => JSON.parse(match[1]!) as { done: number, latest?: { done: number } | null })
  assert.ok(progress.length >= 3, `${progress.length} progress events`)
  const dones = progress.map((event) => event.done)
  assert.deepEqual(dones, [...dones].sort((a, b) => a - b), 'progress only grows')
  assert.ok(dones.at(-1)! > 0)
  assert.ok(progress.some((event) => (event.latest?.done ?? 0) > 0), 'progress events carry the series row being filled')
  const end = JSON.parse(/event: end\ndata: (.*)\n/.exec(text)![1]!) as JobView
  assert.equal(end.status, 'failed')
  assert.equal(end.error?.code, 'JOB_TIMEOUT')
  await until('no replica runs a slice after the timeout', async () => (await Promise.all(replicas.map(slicesRunning))).every((n) => n === 0) ? true : undefined, 1000)
})

test('SIGKILL of a replica mid-job: its slice runs again elsewhere, the count is exact, no task counted twice', { skip: redisServer.skip }, async () => {
  const tasks = 1500
  const victim = replicas[2]!
  const { body: job } = await call(`${replicas[0]!.url}/jobs`, 'POST', { workload: 'hash', mode: 'cluster', tasks, concurrency: 6, params: HASH })
  await until('the victim runs a slice, a quarter in', async () => {
    const { body } = await call(`${replicas[0]!.url}/jobs/${job.id as string}`)
    return body.progress.done >= tasks / 4 && await slicesRunning(victim) > 0 ? true : undefined
  })
  await victim.kill('SIGKILL')
  const ended = await until('the job ends', async () => {
    const { body } = await call(`${replicas[0]!.url}/jobs/${job.id as string}`)
    return body.status === 'running' || body.status === 'queued' ? undefined : body as JobView
  }, 60_000)
  assert.equal(ended.status, 'succeeded', JSON.stringify(ended.error))
  assert.deepEqual(ended.report!.tasks, { total: tasks, done: tasks, failed: 0, notRun: 0 })
  assert.ok(ended.report!.retriedSlices > 0, `retriedSlices = ${ended.report!.retriedSlices as number}`)
  const byReplica = ended.report!.byReplica as Array<{ replica: string, retried: number, tasks: number }>
  assert.equal(byReplica.reduce((sum, row) => sum + row.retried, 0), ended.report!.retriedSlices)
  assert.equal(byReplica.reduce((sum, row) => sum + row.tasks, 0), tasks)
  checkAgainstLogs(ended, tasks, replicas[0]!)
})

test('Redis stopped mid-job: the job fails with JOB_CLUSTER_DOWN; every replica stays healthy and runs other modes', { skip: redisServer.skip }, async () => {
  const live = replicas.slice(0, 2)
  const { body: job } = await call(`${live[0]!.url}/jobs`, 'POST', { workload: 'hash', mode: 'cluster', tasks: 100_000, concurrency: 4, params: HASH })
  await until('the job makes progress', async () => (await call(`${live[0]!.url}/jobs/${job.id as string}`)).body.progress.done > 50 ? true : undefined)
  const stoppedAt = performance.now()
  await redis.stop()
  const ended = await until('the job ends', async () => {
    const { body } = await call(`${live[0]!.url}/jobs/${job.id as string}`)
    return body.status === 'running' ? undefined : body as JobView
  }, 20_000)
  const failedAfterMs = performance.now() - stoppedAt
  assert.equal(ended.status, 'failed')
  assert.equal(ended.error?.code, 'JOB_CLUSTER_DOWN')
  assert.match(ended.error!.message, /Redis at redis:\/\/127\.0\.0\.1:\d+\/? is unreachable .*CLUSTER_REDIS_TIMEOUT_MS/)
  assert.ok(failedAfterMs < 1500 + 3000, `failed ${Math.round(failedAfterMs)} ms after Redis stopped`)
  assert.ok(ended.report!.tasks.done > 0, 'the report keeps what was merged')
  for (const replica of live) {
    assert.equal((await call(`${replica.url}/healthz`)).status, 200)
    const ready = (await call(`${replica.url}/readyz`)).body
    assert.equal(ready.engines.cluster.redis, 'down')
    const { body: other } = await call(`${replica.url}/jobs?wait=true`, 'POST', { workload: 'hash', mode: 'pool', tasks: 20, concurrency: 1, params: HASH })
    assert.equal(other.status, 'succeeded')
    assert.equal(other.report.tasks.done, 20)
    const { status, body: refused } = await call(`${replica.url}/jobs?wait=true`, 'POST', { workload: 'hash', mode: 'cluster', tasks: 20, concurrency: 1, params: HASH })
    assert.equal(status, 200)
    assert.equal(refused.status, 'failed')
    assert.equal(refused.error.code, 'JOB_CLUSTER_DOWN')
  }
})
