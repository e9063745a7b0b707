import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, runJob } from './support/app.js'
import { expectedDigest } from './support/expected-digest.js'

/** Issue 11, item 7: a job's memory is estimated at submit and bounded; its seeded data is one shared copy. */

const MiB = 1024 * 1024

test('a job whose data and workers would pass MAX_JOB_MEMORY_BYTES is a 400 naming the fields and the estimate', async (t) => {
  const app = await buildTestApp(t, { MAX_JOB_MEMORY_BYTES: 100 * MiB })
  const post = async (spec: Record<string, unknown>) => app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', tasks: 1, ...spec } })
  // Processes: one shared copy + one per child, and 64 MiB per child: 16 × 3 + 2 × 64 = 176 MiB.
  const processes = await post({ mode: 'processes', concurrency: 2, params: { bytes: 16 * MiB, rounds: 1 } })
  assert.equal(processes.statusCode, 400)
  assert.equal(processes.json().code, 'INVALID_FIELD')
  assert.equal(processes.json().message, 'body: this job would hold about 176 MiB (body/params/bytes × 3 copies (one shared, one per process) = 48 MiB, plus 2 processes × 64 MiB = 128 MiB), over MAX_JOB_MEMORY_BYTES (100 MiB); lower body/params/bytes or body/concurrency, or use threads or the pool, whose workers share one copy')
  // The same data in threads is one copy: 16 + 4 × 12 = 64 MiB fits.
  const threads = await post({ mode: 'threads', concurrency: 4, params: { bytes: 16 * MiB, rounds: 1 } })
  assert.equal(threads.statusCode, 202, threads.body)
  // File: each task in flight reads its file back.
  const file = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'file', mode: 'async', tasks: 1, concurrency: 10, params: { bytes: 16 * MiB } } })
  assert.equal(file.statusCode, 400)
  assert.match(file.json().message, /^body: this job would hold about 176 MiB \(body\/params\/bytes × \(1 data \+ 10 read back in flight\) = 176 MiB\), over MAX_JOB_MEMORY_BYTES/)
  // GET /work is held to the same budget.
  const work = await app.inject({ url: `/work/file?mode=pool&bytes=${64 * MiB}` })
  assert.equal(work.statusCode, 400)
  assert.match(work.json().message, /^querystring: this job would hold about 128 MiB/)
})

test('the seeded data is made once in shared memory; every mode hashes the same bytes', async (t) => {
  const app = await buildTestApp(t)
  const params = { bytes: 100_000, rounds: 2 }
  for (const mode of ['inline', 'threads', 'pool', 'processes']) {
    const job = await runJob(app, { workload: 'hash', mode, tasks: 3, concurrency: mode === 'inline' ? 1 : 2, seed: 7, params })
    assert.equal(job.status, 'succeeded', mode)
    for (const result of job.report!.results) {
      assert.equal(result.value, expectedDigest(7, result.index, 'sha256', params.bytes, params.rounds), `${mode} task ${result.index}`)
    }
  }
})
