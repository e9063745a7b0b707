import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EventLoopDelay } from '../src/measure/event-loop-delay.js'
import { buildTestApp, runJob } from './support/app.js'
import { parsePrometheusText, valueOf } from './support/prometheus-text.js'

function stall (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until);
}
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('a 500 ms stall counts as ≈ 50 samples of the 10 ms sampler (500, 490, … ms), not one', async () => {
  const delay = new EventLoopDelay().start()
  await settle(30)
  const before = delay.stats.count
  stall(500)
  await settle(25)
  delay.stop()
  const summary = delay.stats.summary()!
  const added = delay.stats.count - before
  assert.ok(added >= 48 && added <= 56, `${added} samples for the stall`)
  assert.ok(summary.max >= 480 && summary.max <= 560, `max ${summary.max}`)
  // Half of those samples waited more than ≈ 250 ms: the p50 of the stall's samples, not of timer firings.
  assert.ok(summary.p90 > 300, `p90 ${summary.p90}`)
})

test('the service exposes the corrected delay as conclab_event_loop_delay_seconds, and reports carry it', async (t) => {
  const app = await buildTestApp(t)
  const scrape = async () => parsePrometheusText((await app.inject({ url: '/metrics' })).body)
  // The first scrape compiles and collects everything once: its own stall must not fall into the measured one.
  await scrape()
  await settle(50)
  const before = await scrape()
  await settle(25)
  stall(500)
  await settle(25)
  const after = await scrape()
  const over = (le: string, samples: typeof after) => samples.find((sample) => sample.name === 'conclab_event_loop_delay_seconds_bucket' && sample.labels.le === le)?.value ?? 0
  const count = valueOf(after, 'conclab_event_loop_delay_seconds_count') - valueOf(before, 'conclab_event_loop_delay_seconds_count')
  assert.ok(count >= 48, `${count} samples`)
  // Samples above 0.1 s: the stall's 500, 490, … 110 ms, about 40 of them.
  const total = (samples: typeof after) => valueOf(samples, 'conclab_event_loop_delay_seconds_count')
  const at100ms = (samples: typeof after) => total(samples) - over(String(nearestBucketAbove(samples, 0.1)), samples)
  const slow = at100ms(after) - at100ms(before)
  assert.ok(slow >= 35 && slow <= 50, `${slow} samples above 0.1 s`)

  // A job report: an idle event loop reads ≈ 0, a blocked one its stall, with one sample per 10 ms of it.
  const idle = await runJob(app, { workload: 'db', mode: 'async', tasks: 10, concurrency: 2, params: { latencyMs: 20 } })
  assert.ok(idle.report!.eventLoop.delayP99Ms < 5, `idle p99 ${idle.report!.eventLoop.delayP99Ms}`)
  // One hash task of 16 MiB × 20 rounds (≈ 300 ms here) holds the event loop for its whole run.
  const blocked = await runJob(app, { workload: 'hash', mode: 'inline', tasks: 1, params: { bytes: 16 * 1024 * 1024, rounds: 20 } })
  const stallMs = blocked.report!.latencyMs!.max
  const { delayMaxMs, delaySamples, delayP99Ms } = blocked.report!.eventLoop
  assert.ok(stallMs >= 100, `the task ran ${stallMs} ms`)
  assert.ok(delayMaxMs >= 0.8 * stallMs, `max ${delayMaxMs} for a ${stallMs}-ms stall`)
  assert.ok(delaySamples >= 0.8 * stallMs / 10, `${delaySamples} samples for a ${stallMs}-ms stall`)
  assert.ok(delayP99Ms >= 0.8 * stallMs, `p99 ${delayP99Ms}: most of the run's samples fell inside the ${stallMs}-ms stall`)
})

/** The smallest bucket bound of the family at or above `seconds`. */
function nearestBucketAbove (samples: ReturnType<typeof parsePrometheusText>, seconds: number): number {
  return Math.min(...samples.filter((sample) => sample.name === 'conclab_event_loop_delay_seconds_bucket' && sample.labels.le !== '+Inf')
    .map((sample) => Number(sample.labels.le)).filter((le) => le >= seconds))
}
