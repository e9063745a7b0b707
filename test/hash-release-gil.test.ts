import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { test } from 'node:test'
import { buildTestApp, runJob } from './support/app.js'
import { expectedDigest } from './support/expected-digest.js'
import { hashTask, prepareHashJob } from '../src/workloads/hash.js'
import { noGil } from '../src/sync/gil.js'

/**
 * Issue 14, item 2: under the job's GIL the hash workload holds the lock (pure-Python CPU work) unless
 * `releaseGil` asks for hashlib's behaviour, which drops it around an update of >= 2 KiB: then threads × 2 scale.
 */

const cores = availableParallelism()
const params = { bytes: 1024 * 1024, rounds: 2 }

test('under the GIL, threads × 2 beat threads × 1 with releaseGil, and gain nothing without it', async (t) => {
  const app = await buildTestApp(t)
  const run = async (concurrency: number, gil: boolean, releaseGil: boolean) => {
    const job = await runJob(app, { workload: 'hash', mode: 'threads', tasks: 60, concurrency, gil, warmup: { tasks: 2 * concurrency }, params: { ...params, releaseGil } })
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error))
    return { tasksPerSec: job.report!.tasksPerSec, gilWaitMs: job.report!.gilWaitMs?.mean ?? 0, latencyMs: job.report!.latencyMs!.mean }
  }
  const cases = { free: [false, false], held: [true, false], released: [true, true] } as const
  type Case = keyof typeof cases
  const runs: Record<string, Array<{ tasksPerSec: number, gilWaitMs: number, latencyMs: number }>> = {}
  // Round-robin, three times: other load only ever slows a run down, so the best of three is the closest to what
  // the lock allows, and every case sees the same spells of load.
  for (let round = 0; round < 3; round++) {
    for (const [name, [gil, releaseGil]] of Object.entries(cases)) {
      for (const concurrency of [1, 2]) (runs[`${name} ${concurrency}`] ??= []).push(await run(concurrency, gil, releaseGil))
    }
  }
  const best = (name: Case, concurrency: number) => Math.max(...runs[`${name} ${concurrency}`]!.map((r) => r.tasksPerSec))
  // One thread does the same work in the three cases (an uncontended lock costs nothing, a release with nobody
  // waiting neither): their best is the one-thread rate each case's two threads are held against.
  const oneThread = Math.max(...(Object.keys(cases) as Case[]).map((name) => best(name, 1)))
  const ratio = (name: Case) => best(name, 2) / oneThread
  const summary = `one thread ${oneThread.toFixed(0)} tasks/s; two: ` + (Object.keys(cases) as Case[]).map((name) => `${name} ${best(name, 2).toFixed(0)} (× ${ratio(name).toFixed(2)})`).join(', ')
  t.diagnostic(summary)
  // Load-proof, whatever else runs on the machine: two threads holding the lock take turns, so a task spends about
  // as long waiting for it as the other's share of the run (a large part of its latency); hashing without it they
  // barely wait.
  const waitShare = (name: Case) => Math.min(...runs[`${name} 2`]!.map((r) => r.gilWaitMs / r.latencyMs))
  const shares = `2 threads wait for the lock: held ${(100 * waitShare('held')).toFixed(1)} %, released ${(100 * waitShare('released')).toFixed(1)} % of a task's time`
  t.diagnostic(shares)
  assert.ok(waitShare('held') > 0.05 && waitShare('held') > 5 * waitShare('released'), shares)
  assert.ok(ratio('held') <= 1.15, summary)
  // The released case scales as far as the machine lets two threads run at once right now — what the lock-free case
  // shows in the same rounds, under the same load.
  if (cores < 2) return t.diagnostic(`${cores} core: threads × 2 cannot beat × 1`)
  assert.ok(ratio('released') >= 0.7 * ratio('free'), summary)
})

test('releaseGil drops the lock around an update of >= 2048 bytes only, as hashlib does', async () => {
  for (const [bytes, drops] of [[2047, 0], [2048, 3]] as const) {
    const shared = (await prepareHashJob({ algorithm: 'sha256', bytes, rounds: 3, releaseGil: true, input: 'seeded' }, { jobId: 'gil-count', seed: 8 })).shared
    let blocking = 0
    let ticks = 0
    const gil = { ...noGil, blocking<T> (work: () => T): T { blocking++; return work() }, tick () { ticks++ } }
    const result = hashTask({ algorithm: 'sha256', bytes, rounds: 3, releaseGil: true, input: 'seeded' }, { index: 0, seed: 8, shared, upstreamUrl: '', latencyCapMs: 0, gil })
    assert.equal(blocking, drops, `${bytes} bytes: ${blocking} updates outside the lock`)
    assert.equal(ticks, 3, 'a switch point after every round')
    assert.equal(result.value, expectedDigest(8, 0, 'sha256', bytes, 3))
    blocking = 0
    hashTask({ algorithm: 'sha256', bytes, rounds: 3, releaseGil: false, input: 'seeded' }, { index: 0, seed: 8, shared, upstreamUrl: '', latencyCapMs: 0, gil })
    assert.equal(blocking, 0, `${bytes} bytes without releaseGil: the lock is held throughout`)
  }
})

test('releaseGil without gil: true is a 400 naming the field', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'threads', params: { releaseGil: true } } })
  assert.equal(response.statusCode, 400)
  assert.match(response.json().message, /body\/params\/releaseGil needs the job's gil: true/)
})

test('releaseGil changes nothing of the result, below 2 KiB or above', async (t) => {
  const app = await buildTestApp(t)
  for (const bytes of [100, 2047, 2048, 100_000]) {
    for (const gil of [true]) {
      const job = await runJob(app, { workload: 'hash', mode: 'threads', tasks: 3, concurrency: 2, gil, seed: 8, params: { bytes, rounds: 3, releaseGil: true } })
      assert.equal(job.status, 'succeeded')
      for (const { index, value } of job.report!.results) assert.equal(value, expectedDigest(8, index, 'sha256', bytes, 3), `${bytes} bytes, gil ${gil}`)
    }
  }
})
