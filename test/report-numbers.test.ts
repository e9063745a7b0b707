import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LatencyStats } from '../src/measure/latency-stats.js'
import { buildTestApp, runJob } from './support/app.js'

/** Numbers in a report mean what they say: percentiles within min and max, event-loop delay. */

test('percentiles stay within the exact min and max', () => {
  const stats = new LatencyStats()
  for (const ms of [51.2258, 51.2258, 51.2258, 0.5]) stats.record(ms)
  const summary = stats.summary()!
  assert.equal(summary.max, 51.2258)
  assert.ok(summary.p99 <= summary.max && summary.p50 <= summary.max && summary.p50 >= summary.min)
})

test('an idle event loop reports (near) zero delay, a blocked one its stall', async (t) => {
  const app = await buildTestApp(t)
  // The first job after start compiles its code on the main thread: a real stall of tens of ms, which the corrected
  // sampler counts once per 10 ms. Idle means warm.
  await runJob(app, { workload: 'db', mode: 'async', tasks: 20, concurrency: 2, params: { latencyMs: 1 } })
  const idle = await runJob(app, { workload: 'db', mode: 'async', tasks: 20, concurrency: 2, params: { latencyMs: 20 } })
  const blocked = await runJob(app, { workload: 'hash', mode: 'inline', tasks: 2, params: { bytes: 16 * 1024 * 1024, rounds: 12 } })
  const stallMs = blocked.report!.latencyMs!.max
  assert.ok(stallMs >= 100, `a task ran ${stallMs} ms`)
  assert.ok(blocked.report!.eventLoop.delayMaxMs >= 0.8 * stallMs, `blocked delay max ${blocked.report!.eventLoop.delayMaxMs} for ${stallMs}-ms tasks`)
  // Idle is measured against the stall, not a fixed number of ms: a shared machine's own hiccups reach 10-20 ms.
  assert.ok(idle.report!.eventLoop.delayP99Ms < stallMs / 4, `idle delay p99 ${idle.report!.eventLoop.delayP99Ms} beside a ${stallMs}-ms stall`)
})

test('the CPU figures cover the measured window (wallMs), not the threads\' or children\'s start-up and join', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['threads', 'processes', 'pool', 'async']) {
    const job = await runJob(app, { workload: 'hash', mode, tasks: 60, concurrency: 2, params: { bytes: 65_536, rounds: 20 } })
    const { cpu, wallMs, totalMs, startupMs } = job.report!
    assert.ok(Math.abs(cpu.windowMs - wallMs) <= 0.1 * wallMs + 15, `${mode}: cpu window ${cpu.windowMs} ms, wall ${wallMs} ms`)
    if (startupMs > 20) assert.ok(cpu.windowMs < totalMs - startupMs / 2, `${mode}: start-up ${startupMs} ms left out of ${totalMs}`)
  }
})
