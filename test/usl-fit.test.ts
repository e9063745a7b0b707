import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Comparison, CompareRow, ScalingFit } from '../src/labs/compare-schema.js'
import { scalingOf } from '../src/labs/compare-scaling.js'
import { comparisonAsTable } from '../src/labs/compare-table.js'
import { fitUsl, PEAK_HORIZON, uslPeak, uslThroughput, type UslFit, type UslParameters } from '../src/labs/usl-fit.js'
import { buildTestApp } from './support/app.js'

/**
 * The Universal Scalability Law fit (issue 12): on throughput generated from known λ, σ and κ — exact, and with
 * seeded multiplicative noise — the fit recovers σ and κ within 5 % (and N* with them); fewer than 3 levels is no
 * fit; a real compare answers a fit per mode with 3 levels or more.
 *
 * "Within 5 %" of a true 0 cannot be relative: there it means the fitted term adds at most 5 % to the law's
 * denominator at the largest N, i.e. it moves the predicted throughput there by at most about 5 %.
 */

const TOLERANCE = 0.05
const LAMBDA = 350

/** σ, κ pairs: both, κ = 0 (Amdahl), σ = 0, neither (linear), a peak within reach, a steep fall, a small σ beside κ. */
const COMBOS: Array<[sigma: number, kappa: number]> = [
  [0.05, 0.002], [0.1, 0], [0.5, 0], [0, 0.01], [0, 0], [0.3, 0.05], [0.9, 0.01], [0.2, 0.001], [0.02, 0.0005]
]

/** A seeded generator (a 31-bit LCG): the same noise every run. */
function random (seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

function synthetic (truth: UslParameters, levels: number[], noise = 0, seed = 1) {
  const next = random(seed)
  return levels.map((n) => ({ n, throughput: uslThroughput(truth, n) * (1 + noise * (2 * next() - 1)) }))
}

/** How far the fit is from the truth, in the test's sense of "within 5 %" (see the file's comment). */
function errors (truth: UslParameters, fit: UslFit, largestN: number) {
  const denominator = 1 + fit.sigma * (largestN - 1) + fit.kappa * largestN * (largestN - 1)
  const off = (estimate: number, actual: number, term: number) =>
    actual > 0 ? Math.abs(estimate / actual - 1) : term / denominator
  const peak = truth.kappa > 0 ? Math.sqrt((1 - truth.sigma) / truth.kappa) : null
  const fitted = uslPeak(fit, largestN)
  return {
    lambda: Math.abs(fit.lambda / truth.lambda - 1),
    sigma: off(fit.sigma, truth.sigma, fit.sigma * (largestN - 1)),
    kappa: off(fit.kappa, truth.kappa, fit.kappa * largestN * (largestN - 1)),
    peak: peak === null ? null : Math.abs((fitted.estimate ?? Infinity) / Math.max(1, peak) - 1),
    fitted
  }
}

function fitted (points: ReturnType<typeof synthetic>): UslFit {
  const outcome = fitUsl(points)
  assert.ok(outcome.fitted, JSON.stringify(outcome))
  return outcome.fit
}

const worst = (values: number[]) => Math.max(...values)
const percent = (value: number) => `${(value * 100).toPrecision(2)} %`

test('USL fit: on synthetic throughput generated from known σ and κ the fit recovers them within 5 % (exact data)', (t) => {
  const seen = { lambda: [] as number[], sigma: [] as number[], kappa: [] as number[], peak: [] as number[] }
  for (const levels of [[1, 2, 4], [2, 4, 8], [1, 2, 4, 8, 16, 32], [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]]) {
    for (const [sigma, kappa] of COMBOS) {
      const truth = { lambda: LAMBDA, sigma, kappa }
      const largestN = levels.at(-1)!
      const fit = fitted(synthetic(truth, levels))
      const off = errors(truth, fit, largestN)
      const what = `σ ${sigma}, κ ${kappa} over ${levels.join(',')}: fit λ ${fit.lambda}, σ ${fit.sigma}, κ ${fit.kappa}`
      assert.ok(off.lambda <= TOLERANCE && off.sigma <= TOLERANCE && off.kappa <= TOLERANCE, what)
      if (off.peak !== null) assert.ok(off.peak <= TOLERANCE, `${what}: N* ${off.fitted.estimate}`)
      // Exact data: the curve goes through every point.
      assert.ok(fit.relativeRmse < 1e-6 && fit.r2! > 1 - 1e-9, `${what}: rmse ${fit.rmse}, R² ${fit.r2}`)
      assert.equal(fit.levels, levels.length)
      if (kappa === 0) assert.ok(off.fitted.where === 'none' && off.fitted.n === null && off.fitted.throughput === null, what)
      seen.lambda.push(off.lambda)
      seen.sigma.push(off.sigma)
      seen.kappa.push(off.kappa)
      if (off.peak !== null) seen.peak.push(off.peak)
    }
  }
  t.diagnostic(`exact data, ${seen.sigma.length} fits: worst error λ ${percent(worst(seen.lambda))}, σ ${percent(worst(seen.sigma))}, ` +
    `κ ${percent(worst(seen.kappa))}, N* ${percent(worst(seen.peak))}`)
})

test('USL fit: with seeded multiplicative noise (±0.5 %, 12 levels up to 64) σ, κ and N* stay within 5 %', (t) => {
  const levels = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]
  const largestN = levels.at(-1)!
  for (const [sigma, kappa] of COMBOS) {
    // A small σ beside a κ is the hardest to tell apart: it needs quieter data (±0.25 %) for 5 %.
    const noise = sigma > 0 && sigma < 0.05 && kappa > 0 ? 0.0025 : 0.005
    const truth = { lambda: LAMBDA, sigma, kappa }
    const seen = { lambda: [] as number[], sigma: [] as number[], kappa: [] as number[], peak: [] as number[] }
    for (let seed = 1; seed <= 25; seed++) {
      const fit = fitted(synthetic(truth, levels, noise, seed * 7919))
      const off = errors(truth, fit, largestN)
      const what = `σ ${sigma}, κ ${kappa}, noise ±${noise * 100} %, seed ${seed}: fit λ ${fit.lambda}, σ ${fit.sigma}, κ ${fit.kappa}`
      assert.ok(off.lambda <= TOLERANCE && off.sigma <= TOLERANCE && off.kappa <= TOLERANCE, what)
      if (off.peak !== null) {
        assert.ok(off.peak <= TOLERANCE, `${what}: N* ${off.fitted.estimate}`)
        assert.equal(off.fitted.where, off.fitted.n! <= largestN ? 'within' : 'beyond')
      } else {
        // No true peak: noise may leave a small κ, but never a peak inside the levels measured.
        assert.notEqual(off.fitted.where, 'within', `${what}: a peak at ${off.fitted.n}`)
      }
      assert.ok(fit.relativeRmse < noise && fit.r2! > 0.99, `${what}: rel rmse ${fit.relativeRmse}, R² ${fit.r2}`)
      seen.lambda.push(off.lambda)
      seen.sigma.push(off.sigma)
      seen.kappa.push(off.kappa)
      if (off.peak !== null) seen.peak.push(off.peak)
    }
    t.diagnostic(`σ ${sigma}, κ ${kappa}, ±${noise * 100} % noise, 25 seeds: worst error λ ${percent(worst(seen.lambda))}, ` +
      `σ ${percent(worst(seen.sigma))}, κ ${percent(worst(seen.kappa))}${seen.peak.length > 0 ? `, N* ${percent(worst(seen.peak))}` : ''}`)
  }
})

test('USL fit: fewer than 3 levels is no fit, with the reason; bad points are a RangeError', () => {
  const truth = { lambda: 100, sigma: 0.1, kappa: 0.01 }
  for (const levels of [[1], [1, 2], [2, 2, 4, 4, 4]]) {
    const outcome = fitUsl(synthetic(truth, levels))
    assert.equal(outcome.fitted, false)
    assert.ok(!outcome.fitted)
    assert.equal(outcome.levels, new Set(levels).size)
    assert.match(outcome.reason, /the fit needs at least 3 \(λ, σ and κ are three unknowns\)$/)
  }
  assert.throws(() => fitUsl([{ n: 0, throughput: 1 }, { n: 1, throughput: 1 }, { n: 2, throughput: 1 }]), RangeError)
  assert.throws(() => fitUsl([{ n: 1, throughput: 1 }, { n: 2, throughput: Number.NaN }, { n: 3, throughput: 1 }]), RangeError)
  assert.throws(() => fitUsl([{ n: 1, throughput: 1 }, { n: 2, throughput: 0 }, { n: 3, throughput: 1 }]), RangeError)
})

test('USL fit: data the law cannot follow ends on its bounds, never outside them', () => {
  // Superlinear (a cold N = 1): σ would be negative; the fit stops at σ = κ = 0 and says how far off it is.
  const superlinear = fitted([{ n: 1, throughput: 100 }, { n: 2, throughput: 220 }, { n: 4, throughput: 440 }, { n: 8, throughput: 880 }])
  assert.equal(superlinear.sigma, 0)
  assert.equal(superlinear.kappa, 0)
  assert.ok(superlinear.rmse > 0)
  // Worse than one worker at every N (as σ = 1.5 would be): σ stops at its bound 1, κ > 0 bends the curve down,
  // and the best there is is one worker.
  const falling = fitted([1, 2, 4, 8].map((n) => ({ n, throughput: 100 * n / (1 + 1.5 * (n - 1)) })))
  assert.ok(falling.sigma === 1 && falling.kappa > 0, JSON.stringify(falling))
  assert.deepEqual(falling.atBounds, ['sigma=1'])
  assert.equal(uslPeak(falling, 8).n, 1)
  // Flat: all contention, no peak.
  const flat = fitted([{ n: 1, throughput: 100 }, { n: 2, throughput: 100 }, { n: 4, throughput: 100 }])
  assert.ok(Math.abs(flat.sigma - 1) < 1e-6 && flat.kappa < 1e-9 && Math.abs(flat.lambda - 100) < 1e-6, JSON.stringify(flat))
  assert.equal(flat.r2, null, 'SStot = 0: no R²')
  assert.equal(uslPeak(flat, 4).where, 'none')
})

test('USL peak: N* = √((1−σ)/κ); κ ≈ 0 or a peak past the horizon is none, never Infinity', () => {
  assert.deepEqual(uslPeak({ lambda: 1, sigma: 0.1, kappa: 0 }, 16), { n: null, throughput: null, where: 'none', estimate: null })
  const within = uslPeak({ lambda: 100, sigma: 0.3, kappa: 0.05 }, 16)
  assert.equal(within.where, 'within')
  assert.ok(Math.abs(within.n! - Math.sqrt(0.7 / 0.05)) < 1e-12)
  assert.ok(Math.abs(within.throughput! - uslThroughput({ lambda: 100, sigma: 0.3, kappa: 0.05 }, within.n!)) < 1e-9)
  assert.equal(uslPeak({ lambda: 100, sigma: 0.05, kappa: 0.002 }, 8).where, 'beyond') // N* ≈ 21.8
  // N* ≈ 316 over levels up to 4: past PEAK_HORIZON × 4, reported as none with the estimate kept for the reading.
  const far = uslPeak({ lambda: 100, sigma: 0, kappa: 1e-5 }, 4)
  assert.equal(far.where, 'none')
  assert.ok(far.estimate! > PEAK_HORIZON * 4 && far.n === null)
})

function row (mode: string, concurrency: number, workers: number, tasksPerSec: number | null, status: CompareRow['status'] = 'succeeded'): CompareRow {
  return {
    mode,
    concurrency,
    workers,
    baseline: false,
    status,
    jobId: `${mode}-${concurrency}`,
    error: null,
    wallMs: 1,
    tasksPerSec,
    speedup: null,
    efficiency: null,
    efficiencyPerCore: null,
    serialFraction: null,
    cpuUtilization: null,
    coresUsed: null,
    startupMs: null,
    warnings: []
  }
}

test('compare\'s scaling: N is workers, or concurrency where workers stay the same; failed runs are left out', () => {
  const truth = { lambda: 200, sigma: 0.1, kappa: 0.02 }
  const x = (n: number) => uslThroughput(truth, n)
  const scaling = scalingOf([
    { ...row('inline', 1, 1, 190), baseline: true },
    row('async', 1, 1, x(1)), row('async', 2, 1, x(2)), row('async', 4, 1, x(4)), row('async', 8, 1, x(8)),
    row('threads', 1, 1, x(1)), row('threads', 2, 2, x(2)), row('threads', 4, 4, null, 'failed'), row('threads', 8, 8, x(8)),
    row('pool', 1, 1, x(1)), row('pool', 2, 2, x(2)), row('pool', 4, 2, x(2))
  ])
  assert.deepEqual(scaling.map((entry) => [entry.mode, entry.fitted, entry.over, entry.levels]),
    [['inline', false, 'workers', 1], ['async', true, 'concurrency', 4], ['threads', true, 'workers', 3], ['pool', false, 'workers', 2]])
  const [inline, async, threads, pool] = scaling as [typeof scaling[0], ScalingFit, ScalingFit, typeof scaling[0]]
  assert.ok(!inline.fitted && /^1 level of workers with a successful run \(1\); the fit needs at least 3/.test(inline.reason), JSON.stringify(inline))
  assert.ok(!pool.fitted)
  assert.equal(pool.reason, '2 levels of workers with a successful run (1, 2) — concurrency 1, 2, 4 ran on 1, 2, 2 workers; the fit needs at least 3: λ, σ and κ are three unknowns')

  for (const fit of [async, threads]) {
    assert.ok(Math.abs(fit.sigma / 0.1 - 1) < 1e-3 && Math.abs(fit.kappa / 0.02 - 1) < 1e-3 && Math.abs(fit.lambda / 200 - 1) < 1e-3, JSON.stringify(fit))
    assert.equal(fit.peak, 'within')
    assert.equal(fit.peakN, 6.71) // √(0.9 / 0.02) to 3 digits
  }
  assert.deepEqual(async.points.map((point) => [point.n, point.concurrency]), [[1, 1], [2, 2], [4, 4], [8, 8]])
  assert.match(async.reading, /^throughput peaks near N = 6\.71 tasks in flight \(/)
  assert.deepEqual(threads.points.map((point) => point.n), [1, 2, 8])
  assert.deepEqual(threads.warnings, [
    '3 levels for 3 unknowns: the law can pass through any 3 points it can follow at all, so rmse and R² test little; measure 4 or more levels to see whether it holds',
    '1 run that did not succeed left out'
  ])
  assert.deepEqual(scalingOf([row('threads', 2, 2, null, 'failed')]),
    [{ mode: 'threads', fitted: false, over: 'workers', levels: 0, reason: 'no run succeeded (1 run failed or cancelled)' }])
})

test('a real compare answers a USL fit per mode with 3 levels or more, in JSON and under the text table', async (t) => {
  const app = await buildTestApp(t, { POOL_SIZE: 2 })
  const body = { workload: 'db', tasks: 24, params: { latencyMs: 2 }, modes: ['async', 'threads', 'pool'], concurrency: [1, 2, 4] }
  const response = await app.inject({ method: 'POST', url: '/experiments/compare', payload: body })
  assert.equal(response.statusCode, 200, response.body)
  const comparison = response.json<Comparison>()
  assert.ok(comparison.rows.every((entry) => entry.status === 'succeeded'), JSON.stringify(comparison.rows.map((entry) => entry.error)))
  assert.deepEqual(comparison.scaling.map((entry) => [entry.mode, entry.fitted, entry.over, entry.levels]),
    [['inline', false, 'workers', 1], ['async', true, 'concurrency', 3], ['threads', true, 'workers', 3], ['pool', false, 'workers', 2]])
  for (const entry of comparison.scaling) {
    if (!entry.fitted) {
      assert.match(entry.reason, /the fit needs at least 3/)
      continue
    }
    for (const value of [entry.lambda, entry.sigma, entry.kappa, entry.rmse, entry.relativeRmse]) assert.ok(Number.isFinite(value), JSON.stringify(entry))
    assert.ok(entry.lambda > 0 && entry.sigma >= 0 && entry.sigma <= 1 && entry.kappa >= 0, JSON.stringify(entry))
    assert.ok(entry.peak === 'none' ? entry.peakN === null : Number.isFinite(entry.peakN) && entry.peakN! >= 1, JSON.stringify(entry))
    assert.equal(entry.points.length, 3)
    const rows = comparison.rows.filter((candidate) => candidate.mode === entry.mode)
    assert.deepEqual(entry.points.map((point) => point.tasksPerSec), rows.map((candidate) => candidate.tasksPerSec))
    assert.ok(entry.reading.length > 0)
  }
  t.diagnostic(JSON.stringify(comparison.scaling))

  // The text table of the same answer (the route's content negotiation is lab-compare.test.ts's).
  const text = comparisonAsTable(comparison)
  const lines = text.split('\n')
  const at = lines.findIndex((line) => line.startsWith('scaling (Universal Scalability Law'))
  assert.ok(at > lines.findIndex((line) => line.startsWith('pool ')), text)
  assert.deepEqual(lines[at + 1]!.trim().split(/\s{2,}/), ['mode', 'N', 'levels', 'λ tasks/s', 'σ', 'κ', 'peak N*', 'peak tasks/s', 'rmse', 'rel rmse', 'R²'])
  assert.match(lines[at + 2]!, /^ {2}async +concurrency +3 +[\d.]+ +[\d.]+ /)
  assert.match(lines[at + 3]!, /^ {2}threads +workers +3 /)
  assert.match(text, /\n {2}pool: not fitted: 2 levels of workers with a successful run \(1, 2\) — concurrency 1, 2, 4 ran on 1, 2, 2 workers;/)
  t.diagnostic(`\n${text}`)
})
