import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import type { FastifyBaseLogger } from 'fastify'
import { loadConfig } from '../src/config.js'
import { asyncMode } from '../src/executors/async.js'
import { clusterMode } from '../src/executors/cluster.js'
import { inlineMode } from '../src/executors/inline.js'
import type { TaskOutcome } from '../src/executors/messages.js'
import { poolMode } from '../src/executors/pool.js'
import { processesMode } from '../src/executors/processes.js'
import { threadsMode } from '../src/executors/threads.js'
import { startWorkerPool } from '../src/executors/worker-pool.js'
import type { JobSpec } from '../src/jobs/spec-service.js'
import { executionPlanOf, jobContextOf } from '../src/jobs/task-plan.js'
import { prepareHashJob } from '../src/workloads/hash.js'
import { checkHashParams, type HashParams } from '../src/workloads/params/hash.js'
import { MODES, buildTestApp, childPids, runJob } from './support/app.js'
import { expectedDigest } from './support/expected-digest.js'
import { external } from './support/external.js'
import { startRedis } from './support/redis-server.js'

/** Issue 14, item 8: hash `input: 'shipped'` sends each task's bytes with the task; the results are the seeded ones. */

const MiB = 1024 * 1024

test('shipped input gives the digests of seeded input in every mode, batched or not, warm-up included', async (t) => {
  const app = await buildTestApp(t)
  const before = childPids()
  const params = { bytes: 50_000, rounds: 2 }
  for (const mode of MODES) {
    const concurrency = mode === 'inline' ? 1 : 2
    const batches = mode === 'pool' || mode === 'processes' ? [1, 4, 'auto'] : ['auto']
    for (const batch of batches) {
      const where = `${mode} batch ${batch}`
      const spec = { workload: 'hash', mode, tasks: 9, concurrency, batch, seed: 11, warmup: { tasks: 2 } }
      const seeded = await runJob(app, { ...spec, params })
      const shipped = await runJob(app, { ...spec, params: { ...params, input: 'shipped' } })
      assert.equal(shipped.status, 'succeeded', `${where}: ${JSON.stringify(shipped.error)}`)
      assert.deepEqual(shipped.report!.tasks, { total: 9, done: 9, failed: 0, notRun: 0 }, where)
      assert.deepEqual(shipped.report!.results, seeded.report!.results, where)
      for (const { index, value } of shipped.report!.results) {
        assert.equal(value, expectedDigest(11, index, 'sha256', params.bytes, params.rounds), `${where}: task ${index}`)
      }
    }
  }
  // GET /work runs its one task through the same path.
  const work = await app.inject({ url: '/work/hash?mode=pool&bytes=3000&rounds=3&input=shipped&seed=5' })
  assert.equal(work.statusCode, 200, work.body)
  assert.equal(work.json().value, expectedDigest(5, 0, 'sha256', 3000, 3))
  assert.deepEqual(childPids().filter((pid) => !before.includes(pid)), [], 'every child process is gone')
})

test('shipped input under the GIL with releaseGil: the same digests', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['threads', 'pool', 'processes']) {
    const job = await runJob(app, { workload: 'hash', mode, tasks: 4, concurrency: 2, seed: 3, gil: true, params: { bytes: 4096, rounds: 3, input: 'shipped', releaseGil: true } })
    assert.equal(job.status, 'succeeded', mode)
    for (const { index, value } of job.report!.results) assert.equal(value, expectedDigest(3, index, 'sha256', 4096, 3), `${mode} task ${index}`)
  }
})

test('the memory budget counts shipped copies in flight: a job that fits seeded is a 400 shipped', async (t) => {
  const app = await buildTestApp(t, { MAX_JOB_MEMORY_BYTES: 200 * MiB })
  const post = async (mode: string, concurrency: number, params: Record<string, unknown>, batch: number | 'auto' = 'auto') =>
    app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode, tasks: 1, concurrency, batch, params: { rounds: 1, ...params } } })
  // Pool, seeded: one shared copy of 4 MiB. Shipped with batch 10: 2 sides × 4 dispatches × 10 tasks × 4 MiB more.
  assert.equal((await post('pool', 4, { bytes: 4 * MiB }, 10)).statusCode, 202)
  const pool = await post('pool', 4, { bytes: 4 * MiB, input: 'shipped' }, 10)
  assert.equal(pool.statusCode, 400)
  assert.equal(pool.json().code, 'INVALID_FIELD')
  assert.equal(pool.json().message, 'body: this job would hold about 324 MiB (body/params/bytes × 1 shared copy, plus body/params/bytes × 80 shipped in flight (2 sides × 4 concurrency × 1 dispatch held × 10 per dispatch) = 324 MiB), over MAX_JOB_MEMORY_BYTES (200 MiB); lower body/params/bytes or body/concurrency')
  // Batch auto caps a shipped dispatch at 2 MiB (one task of 4 MiB); processes hold the chunk they run and the next.
  const processes = await post('processes', 1, { bytes: 4 * MiB, input: 'shipped' })
  assert.equal(processes.statusCode, 202, processes.body)
  const processesWide = await post('processes', 2, { bytes: 16 * MiB, input: 'shipped' })
  assert.equal(processesWide.statusCode, 400)
  assert.match(processesWide.json().message, /body\/params\/bytes × 3 copies \(one shared, one per process\), plus body\/params\/bytes × 8 shipped in flight \(2 sides × 2 concurrency × 2 dispatches held × 1 per dispatch\) = 176 MiB, plus 2 processes × 64 MiB/)
  // Threads: one task per thread in flight.
  assert.equal((await post('threads', 5, { bytes: 16 * MiB })).statusCode, 202)
  const threads = await post('threads', 5, { bytes: 16 * MiB, input: 'shipped' })
  assert.equal(threads.statusCode, 400)
  assert.match(threads.json().message, /^body: this job would hold about 236 MiB \(body\/params\/bytes × 1 shared copy, plus body\/params\/bytes × 10 shipped in flight \(2 sides × 5 concurrency × 1 dispatch held × 1 per dispatch\) = 176 MiB, plus 5 threads × 12 MiB = 60 MiB\)/)
})

test('a task hashes the very bytes its sender shipped, in every mode (threads ask for them; pool and processes carry them)', async (t) => {
  const config = loadConfig({ POOL_SIZE: 2 })
  const pool = await startWorkerPool(config, { error () {} } as unknown as FastifyBaseLogger)
  t.after(() => pool.destroy())
  const bytes = 5000
  // Not the seeded data: only bytes that travelled with the task can give these digests.
  const shippedData = (index: number) => new Uint8Array(bytes).fill(index % 251)
  const digestOf = (index: number) => {
    const header = Buffer.alloc(16)
    header.writeBigUInt64LE(2n, 0)
    header.writeBigUInt64LE(BigInt(index), 8)
    return createHash('sha256').update(createHash('sha256').update(header).update(shippedData(index)).digest()).update(shippedData(index)).digest('hex')
  }
  for (const mode of [inlineMode, asyncMode, threadsMode, poolMode, processesMode]) {
    const spec = { workload: 'hash', mode: mode.name, tasks: 6, concurrency: mode.name === 'inline' ? 1 : 2, batch: mode.batches ? 2 : 1, seed: 2, params: { algorithm: 'sha256', bytes, rounds: 2, releaseGil: false, input: 'shipped' } } as unknown as JobSpec
    const prepared = await prepareHashJob(spec.params as HashParams, { jobId: 'shipped', seed: 2 })
    const outcomes: TaskOutcome[] = []
    const plan = executionPlanOf(spec, jobContextOf(`shipped-${mode.name}`, spec, prepared.shared, { upstreamUrl: 'http://127.0.0.1:1', config }), config, new AbortController().signal, (more) => outcomes.push(...more), true)
    assert.ok(plan.inputOf, `${mode.name}: the plan ships input`)
    const asked: number[] = []
    plan.inputOf = (index) => { asked.push(index); return shippedData(index) }
    await mode.run(plan, { pool, engines: new Map() })
    assert.deepEqual(asked.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5], `${mode.name}: each task's input made once, on the sending side`)
    assert.deepEqual(outcomes.sort((a, b) => a.index - b.index).map((outcome) => outcome.value), [0, 1, 2, 3, 4, 5].map(digestOf), mode.name)
  }
})

test('hash input shipped is refused in a mode that cannot ship it (a 400 naming the field), and checked like any param', () => {
  const config = loadConfig({})
  const check = (shipsTaskInput: boolean | undefined, input: 'seeded' | 'shipped') =>
    checkHashParams({ algorithm: 'sha256', bytes: 10, rounds: 1, releaseGil: false, input }, 'body/params', { config, concurrency: 1, singleRequest: false, gil: false, mode: { name: 'cluster', allowsBlockingDriver: true, mainThread: false, shipsTaskInput } })
  assert.equal(check(false, 'shipped'), "body/params/input must be seeded in mode cluster (it cannot send a task's bytes with the task); got shipped")
  assert.equal(check(false, 'seeded'), undefined)
  assert.equal(check(undefined, 'shipped'), undefined)
  assert.equal(clusterMode.shipsTaskInput, false, 'the cluster mode says it cannot')
})

test('an unknown input is a 400 naming the allowed values', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'pool', params: { input: 'piped' } } })
  assert.equal(response.statusCode, 400)
  assert.match(response.json().message, /body\/params\/input must be (one of|equal to one of).*seeded.*shipped/)
})

const redisServer = external('redis-server')

test('a cluster job with shipped input is a 400 naming params/input (slices go through Redis without their bytes)', { skip: redisServer.skip }, async (t) => {
  const redis = await startRedis(t)
  const app = await buildTestApp(t, { REDIS_URL: redis.url })
  const response = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'cluster', tasks: 2, params: { bytes: 64, input: 'shipped' } } })
  assert.equal(response.statusCode, 400)
  assert.equal(response.json().code, 'INVALID_FIELD')
  assert.equal(response.json().message, "body/params/input must be seeded in mode cluster (it cannot send a task's bytes with the task); got shipped")
  const seeded = await runJob(app, { workload: 'hash', mode: 'cluster', tasks: 2, seed: 4, params: { bytes: 64, rounds: 1 } })
  assert.equal(seeded.status, 'succeeded', JSON.stringify(seeded.error))
})
