import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { IoProbeReport } from '../src/measure/report-schema.js'
import { buildTestApp, getJob, runJob, submitJob, waitFor } from './support/app.js'

/**
 * The convoy effect as an experiment: a job of CPU-bound hash tasks (each longer than a switch interval: ≥ 7 ms)
 * with an ioProbe, an I/O thread sharing the job's emulated GIL. Measured on the 2-core VM under other load (ioMs 2):
 * round latency p50 2.07 ms without the GIL, 7.2 ms with it at S = 5 ms and 12.3 ms at S = 10, in threads, pool,
 * inline and async alike; processes 2.1 ms (each child has its own lock).
 */
const IO_MS = 2
const cpuBound = { workload: 'hash', params: { bytes: 65_536, rounds: 200 }, tasks: 40, ioProbe: { intervalMs: 5, ioMs: IO_MS } }

async function probeOf (app: FastifyInstance, spec: Record<string, unknown>): Promise<IoProbeReport> {
  const job = await runJob(app, { ...cpuBound, ...spec })
  assert.equal(job.status, 'succeeded', JSON.stringify(job.error))
  const probe = job.report!.ioProbe
  assert.ok(probe, 'the report has ioProbe')
  assert.ok(probe.samples >= 8, `only ${probe.samples} rounds timed`)
  assert.equal(probe.latencyMs!.count, probe.samples)
  assert.ok(probe.latencyMs!.min >= IO_MS * 0.9, `a round includes its I/O: min ${probe.latencyMs!.min} ms`)
  return probe
}

/** The round's median beyond its own I/O: what the lock cost it (the median: one preempted round on a busy machine must not decide). */
const addedMs = (probe: IoProbeReport) => probe.latencyMs!.p50 - probe.ioMs

test('a mixed CPU + I/O job shows the I/O tasks\' latency rising by about a switch interval under the GIL and not without it', async (t) => {
  const app = await buildTestApp(t)
  for (const switchIntervalMs of [5, 10]) {
    // Tasks of ≈ 3 intervals (a task's end lets the lock go, as a thread back at its queue); ≈ 25 probe rounds a run.
    const longer = { tasks: 40, params: { bytes: 65_536, rounds: 80 * switchIntervalMs } }
    const free = await probeOf(app, { ...longer, mode: 'threads', concurrency: 1, gil: false, switchIntervalMs })
    const locked = await probeOf(app, { ...longer, mode: 'threads', concurrency: 1, gil: true, switchIntervalMs })
    t.diagnostic(`S = ${switchIntervalMs} ms: round p50 ${free.latencyMs!.p50} ms without the GIL, ${locked.latencyMs!.p50} ms with it (lock wait p50 ${locked.gilWaitMs!.p50} ms)`)
    // Relative to the run without the lock, which had the same machine's wake-up delays: what the lock alone added.
    const added = locked.latencyMs!.p50 - free.latencyMs!.p50
    assert.ok(added >= 0.6 * switchIntervalMs && addedMs(locked) <= 2 * switchIntervalMs,
      `with the GIL a round took ${added.toFixed(2)} ms longer than without (${addedMs(locked).toFixed(2)} ms beyond its I/O), not about ${switchIntervalMs} ms`)
    // Medians only, with room for a busy machine's late wake-ups (a tail of them moves the mean, not the median).
    assert.ok(addedMs(free) < 0.4 * switchIntervalMs, `without the GIL a round waited ${addedMs(free).toFixed(2)} ms beyond its I/O`)
    assert.ok(free.gilWaitMs!.p50 < 0.4 * switchIntervalMs, `without a lock there is nothing to wait for: p50 ${free.gilWaitMs!.p50} ms`)
  }
})

test('the probe shares the lock of the threads that run the tasks in this process: pool and async after a warm-up, not processes', async (t) => {
  const app = await buildTestApp(t)
  // A warm-up runs under a lock of its own: the measured tasks must take the run's, which the probe holds too.
  for (const mode of ['pool', 'async']) {
    const probe = await probeOf(app, { mode, concurrency: 1, gil: true, warmup: { tasks: 2 } })
    assert.ok(addedMs(probe) >= 0.4 * 5, `${mode}: a round waited only ${addedMs(probe).toFixed(2)} ms beyond its I/O`)
  }
  // Each child process has its own lock; the probe, in the service's process, shares none of theirs.
  const apart = await probeOf(app, { mode: 'processes', concurrency: 2, gil: true })
  assert.ok(addedMs(apart) < 0.4 * 5, `processes: a round waited ${addedMs(apart).toFixed(2)} ms beyond its I/O`)
})

test('ioProbe: bad values are a 400 naming the field; no ioProbe in the report unless asked', async (t) => {
  const app = await buildTestApp(t)
  for (const [ioProbe, field] of [[{ intervalMs: 0 }, 'body/ioProbe/intervalMs'], [{ ioMs: 101 }, 'body/ioProbe/ioMs'], [{ every: 5 }, 'body/ioProbe']] as const) {
    const response = await app.inject({ method: 'POST', url: '/jobs', payload: { ...cpuBound, mode: 'threads', ioProbe } })
    assert.equal(response.statusCode, 400, response.body)
    assert.match(response.json().message, new RegExp(field), response.body)
  }
  const plain = await runJob(app, { workload: 'hash', mode: 'threads', tasks: 4, gil: true })
  assert.equal(plain.report!.ioProbe, undefined)
  const defaults = await runJob(app, { ...cpuBound, tasks: 8, mode: 'threads', ioProbe: {} })
  assert.deepEqual([defaults.report!.ioProbe!.intervalMs, defaults.report!.ioProbe!.ioMs], [10, 2])
})

test('a cancelled job keeps its probe\'s rounds: a thread terminated holding the lock does not leave the probe waiting', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['threads', 'pool']) {
    const job = await submitJob(app, { ...cpuBound, mode, tasks: 5000, concurrency: 2, gil: true })
    await waitFor(async () => (await getJob(app, job.id)).progress.done >= 20, 20_000, `${mode}: 20 tasks done`)
    const cancelled = (await app.inject({ method: 'DELETE', url: `/jobs/${job.id}` })).json()
    assert.equal(cancelled.status, 'cancelled')
    assert.ok(cancelled.report.ioProbe.samples > 0, `${mode}: ${JSON.stringify(cancelled.report.ioProbe)}`)
    // No "ioProbe: … did not answer" warning: the probe finished its round and answered.
    assert.deepEqual(cancelled.report.warnings.filter((warning: string) => warning.startsWith('ioProbe')), [])
  }
})

/** This process's OS threads: a probe thread left running is one more. */
const threadCount = () => readdirSync('/proc/self/task').length

test('the probe\'s thread never outlives its job, also when setting up the run throws before it starts', { skip: process.platform !== 'linux' && 'counts threads in /proc' }, async (t) => {
  const app = await buildTestApp(t)
  const spec = { ...cpuBound, tasks: 4, mode: 'threads', gil: true }
  await runJob(app, spec) // every thread the service makes lazily (libuv, V8) now exists
  const before = threadCount()
  // The window's set-up fails after the probe started: the task metrics' observer throws for this job.
  const { metrics } = app.lab
  const observer = metrics.taskObserver.bind(metrics)
  metrics.taskObserver = (labels) => {
    if (labels.source === 'job') throw new Error('the observer failed')
    return observer(labels)
  }
  t.after(() => { metrics.taskObserver = observer })
  const failed = await runJob(app, spec)
  assert.equal(failed.status, 'failed')
  assert.match(JSON.stringify(failed.error), /the observer failed/)
  await waitFor(async () => threadCount() <= before, 5000, `threads back to ${before}: the probe's thread was left running`)
})

test('the text table of a job with an ioProbe shows its rounds and its wait for the lock', async (t) => {
  const app = await buildTestApp(t)
  const job = await runJob(app, { ...cpuBound, tasks: 10, mode: 'threads', gil: true })
  const response = await app.inject({ method: 'GET', url: `/jobs/${job.id}`, headers: { accept: 'text/plain' } })
  assert.equal(response.statusCode, 200)
  assert.match(response.body, new RegExp(`^io probe ms +${job.report!.ioProbe!.samples} rounds of 2 ms I/O: round min [\\d.]+ +p50`, 'm'))
  assert.match(response.body, /^io probe gil wait +min [\d.]+/m)
  const plain = await runJob(app, { ...cpuBound, tasks: 2, ioProbe: undefined, mode: 'threads' })
  const text = (await app.inject({ method: 'GET', url: `/jobs/${plain.id}`, headers: { accept: 'text/plain' } })).body
  assert.doesNotMatch(text, /io probe/)
})
