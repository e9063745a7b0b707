import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MODES, WORKLOADS, buildTestApp, fileDirsOf, runJob } from './support/app.js'
import { expectedDigest } from './support/expected-digest.js'

const smallParams: Record<string, Record<string, unknown>> = {
  hash: { algorithm: 'sha256', bytes: 256, rounds: 3 },
  db: { latencyMs: 2 },
  net: { latencyMs: 2, bytes: 512 },
  file: { bytes: 4096, fsync: true }
}

test('every mode runs every workload to succeeded with a complete report', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of MODES) {
    for (const workload of WORKLOADS) {
      const tasks = 12
      const job = await runJob(app, { workload, mode, tasks, concurrency: mode === 'inline' ? 1 : 2, params: smallParams[workload], seed: 7 })
      const where = `${workload} in ${mode}`
      assert.equal(job.status, 'succeeded', `${where}: ${JSON.stringify(job.error)}`)
      assert.deepEqual(job.progress, { done: tasks, failed: 0, total: tasks }, where)
      const report = job.report!
      assert.deepEqual(report.tasks, { total: tasks, done: tasks, failed: 0, notRun: 0 }, where)
      assert.ok(report.wallMs > 0 && report.totalMs >= report.wallMs, where)
      assert.ok(report.tasksPerSec > 0, where)
      assert.equal(report.latencyMs!.count, tasks, where)
      const { min, p50, p90, p99, max, mean } = report.latencyMs!
      assert.ok(min <= p50 && p50 <= p90 && p90 <= p99 && min <= mean && mean <= max, `${where}: ${JSON.stringify(report.latencyMs)}`)
      assert.ok(report.cpu.userMs + report.cpu.systemMs > 0, where)
      assert.equal(report.cpu.perCore.length, report.env.cores >= 1 ? report.cpu.perCore.length : 0)
      assert.ok(report.cpu.perCore.length >= 1 && report.cpu.perCore.every((core) => core.busy >= 0 && core.busy <= 1), where)
      assert.ok(report.eventLoop.utilization >= 0 && report.eventLoop.utilization <= 1, where)
      assert.equal(report.workers.reduce((sum, worker) => sum + worker.tasks, 0), tasks, where)
      assert.deepEqual(report.errors, [], where)
      assert.equal(report.results.length, 5, where)
      assert.match(report.env.node, /^v\d+/)
      if (mode === 'threads' || mode === 'processes') {
        assert.ok(report.startupMs > 0, `${where}: start-up is measured`)
        assert.equal(report.workers.length <= 2, true, where)
      } else {
        assert.equal(report.startupMs, 0, where)
      }
      if (mode === 'inline' || mode === 'async') assert.deepEqual(report.workers.map((worker) => worker.worker), ['main'])
      if (mode === 'processes') assert.ok(report.workers.every((worker) => /^pid \d+$/.test(worker.worker)), where)
      if (workload === 'hash') {
        for (const { index, value } of report.results) {
          assert.equal(value, expectedDigest(7, index, 'sha256', 256, 3), `${where}: digest of task ${index}`)
        }
      }
      if (workload === 'file') assert.deepEqual(fileDirsOf(job.id), [], `${where}: temp dir removed`)
    }
  }
})

test('every hash algorithm of the allow-list gives the digest computed here', async (t) => {
  const app = await buildTestApp(t)
  for (const algorithm of ['sha256', 'sha512', 'sha1', 'md5', 'sha3-256', 'blake2b512']) {
    const job = await runJob(app, { workload: 'hash', mode: 'pool', tasks: 3, concurrency: 2, seed: 99, params: { algorithm, bytes: 1000, rounds: 2 } })
    assert.equal(job.status, 'succeeded')
    assert.deepEqual(job.report!.results.map((result) => result.value),
      [0, 1, 2].map((index) => expectedDigest(99, index, algorithm, 1000, 2)), algorithm)
  }
})

test('the same seed gives the same results in every mode; another seed does not', async (t) => {
  const app = await buildTestApp(t)
  const spec = { workload: 'db', tasks: 5, seed: 3, params: { p50Ms: 1, p99Ms: 4 } }
  const values = []
  for (const mode of MODES) values.push((await runJob(app, { ...spec, mode })).report!.results.map((r) => r.value))
  for (const other of values.slice(1)) assert.deepEqual(other, values[0])
  const otherSeed = (await runJob(app, { ...spec, mode: 'inline', seed: 4 })).report!.results.map((r) => r.value)
  assert.notDeepEqual(otherSeed, values[0])
})

test('pool and processes run batches (batch = tasks per dispatch) and still account for every task', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['pool', 'processes']) {
    const job = await runJob(app, { workload: 'hash', mode, tasks: 103, concurrency: 2, batch: 10, params: { bytes: 64, rounds: 1 } })
    assert.equal(job.status, 'succeeded')
    assert.equal(job.report!.tasks.done, 103, mode)
    assert.equal(job.report!.results.length, 5, mode)
  }
})
