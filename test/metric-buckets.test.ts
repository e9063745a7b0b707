import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Histogram, Registry } from 'prom-client'
import { TASK_BUCKETS, geometricBuckets } from '../src/metrics/buckets.js'
import { parsePrometheusText } from './support/prometheus-text.js'

/** Prometheus' histogram_quantile: linear interpolation inside the bucket the rank falls in (the first from 0). */
function histogramQuantile (q: number, buckets: Array<{ le: number, count: number }>): number {
  const total = buckets.at(-1)!.count
  const rank = q * total
  let lower = 0
  let below = 0
  for (const { le, count } of buckets) {
    if (count >= rank) return le === Infinity ? lower : lower + (le - lower) * (rank - below) / Math.max(count - below, 1e-12)
    lower = le
    below = count
  }
  return lower
}

test('task buckets: a histogram quantile is within 10 % of the exact value from 100 µs to 60 s', async () => {
  assert.ok(TASK_BUCKETS[0]! <= 0.0001 / 2 && TASK_BUCKETS.at(-1)! >= 60)
  for (let i = 1; i < TASK_BUCKETS.length; i++) assert.ok(TASK_BUCKETS[i]! / TASK_BUCKETS[i - 1]! <= 1.101, `ratio at ${TASK_BUCKETS[i]}`)
  // Observed through prom-client and read back from the exposition, as Prometheus would.
  let checked = 0
  for (let exponent = -4; exponent <= Math.log10(60); exponent += 0.05) {
    const value = 10 ** exponent
    const registry = new Registry()
    const histogram = new Histogram({ name: 'h', help: 'h', buckets: TASK_BUCKETS, registers: [registry] })
    for (let i = 0; i < 100; i++) histogram.observe(value * (1 + (i - 50) * 1e-4))
    const buckets = parsePrometheusText(await registry.metrics()).filter((sample) => sample.name === 'h_bucket')
      .map((sample) => ({ le: sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le), count: sample.value }))
    for (const q of [0.5, 0.9, 0.99]) {
      const estimate = histogramQuantile(q, buckets)
      assert.ok(Math.abs(estimate - value) / value <= 0.1, `p${q * 100} of ${value} s read as ${estimate} s`)
    }
    checked++
  }
  assert.ok(checked >= 100, `${checked} values checked`)
})

test('the 50.2 ms task of the issue: p50 reads within 10 %, where the old 1–2.5–5 ladder read ≈ 75 ms', () => {
  const counts = (bounds: number[], value: number) => bounds.map((le) => ({ le, count: value <= le ? 1 : 0 }))
  const old = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25]
  assert.ok(Math.abs(histogramQuantile(0.5, counts(old, 0.0502)) - 0.075) < 0.001)
  const now = histogramQuantile(0.5, counts(TASK_BUCKETS, 0.0502))
  assert.ok(Math.abs(now - 0.0502) / 0.0502 <= 0.1, `p50 ${now}`)
  assert.deepEqual(geometricBuckets(1, 2, 8), [1, 2, 4, 8])
})
