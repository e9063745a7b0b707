import assert from 'node:assert/strict'
import { test } from 'node:test'
import { inAlternatingOrder, medianPair, passes, type Measure } from '../bench/benchmark.js'
import { benchmarks } from '../bench/benchmarks.js'
import { leastSquares } from '../bench/p7-memory.js'
import { markdown, resultsName } from '../bench/results.js'

test('medianPair reports the median round with its own ours and anchor, so ratio = ours ÷ anchor', () => {
  // P3.processes in an old run: the printed columns came from other rounds than the ratio (530/290/2 ≠ 0.958).
  const ours = [530, 560, 600]
  const anchor = [290, 280, 330]
  const perCore = (a: number, b: number) => a / b / 2
  const result = medianPair(ours, anchor, perCore)
  assert.deepEqual(result.ratios, [530 / 290 / 2, 560 / 280 / 2, 600 / 330 / 2])
  // ratios 0.914, 1.0, 0.909: the median is round 0's, printed with round 0's own rates
  assert.equal(result.round, 0)
  assert.equal(result.ours, 530)
  assert.equal(result.anchor, 290)
  assert.equal(result.ratio, perCore(result.ours, result.anchor))
})

test('medianPair: odd count → the middle round; even count → the lower middle one; the columns always agree', () => {
  const odd = medianPair([10, 30, 20], [10, 10, 10])
  assert.equal(odd.round, 2)
  assert.equal(odd.ratio, 2)
  assert.equal(odd.ours / odd.anchor, odd.ratio)
  const even = medianPair([10, 40, 20, 30], [10, 10, 10, 10])
  assert.equal(even.round, 2) // ratios 1, 4, 2, 3: middle two are 2 and 3, the lower is round 2
  assert.equal(even.ours, 20)
  assert.equal(even.anchor, 10)
  assert.throws(() => medianPair([1], [1, 2]))
})

test('inAlternatingOrder runs A B in even rounds and B A in odd ones (ABBA)', async () => {
  const order: string[] = []
  for (let round = 0; round < 3; round++) {
    await inAlternatingOrder(round, [async () => { order.push('A') }, async () => { order.push('B') }])
  }
  assert.deepEqual(order, ['A', 'B', 'B', 'A', 'A', 'B'])
})

test('leastSquares: slope, intercept and r² of a line, and of noisy points', () => {
  const line = leastSquares([0, 1, 2, 3], [5, 7, 9, 11])
  assert.equal(line.slope, 2)
  assert.equal(line.intercept, 5)
  assert.equal(line.r2, 1)
  const flat = leastSquares([0, 10_000, 20_000, 30_000], [170, 171, 170, 171])
  assert.ok(Math.abs(flat.slope * 100_000) < 5, `flat RSS: ${flat.slope * 100_000} MiB per 100 000 tasks`)
  assert.throws(() => leastSquares([1], [1]))
})

test('which files a run writes: latest only for a complete full run without failures', () => {
  assert.equal(resultsName({ quick: false, complete: true, failures: [] }), 'latest')
  assert.equal(resultsName({ quick: false, complete: false, failures: [] }), 'partial')
  assert.equal(resultsName({ quick: false, complete: true, failures: [{ id: 'P1', error: 'x' }] }), 'partial')
  assert.equal(resultsName({ quick: true, complete: true, failures: [] }), 'quick')
  assert.equal(resultsName({ quick: true, complete: false, failures: [] }), 'quick')
})

test('a quick run prints no verdicts; a full run does', () => {
  const measure: Measure = { id: 'P1', name: 'x', unit: 'req/s', ours: 1, anchor: 2, ratio: 0.5, target: { op: '>=', value: 0.9 } }
  assert.equal(passes(measure), false)
  const machine = { cpuModel: 'cpu', cores: 2, cgroupCpuQuota: null, node: 'v20', platform: 'linux-x64' }
  const run = { measures: [measure], failures: [], complete: true, durationSec: 1, definitions: [] }
  assert.doesNotMatch(markdown({ ...run, quick: true }, 'date', machine), /MISS|\| pass \|/)
  assert.match(markdown({ ...run, quick: false }, 'date', machine), /\| MISS \|/)
})

test('every benchmark documents what it measures from its own settings', () => {
  const definitions = benchmarks.flatMap((benchmark) => benchmark.definitions())
  for (const benchmark of benchmarks) {
    assert.ok(definitions.some((definition) => definition.id.startsWith(benchmark.id)), `${benchmark.id} has a definition`)
  }
  const p1 = definitions.find((definition) => definition.id === 'P1')!
  assert.match(p1.what, /3 sessions .* × 3 pairs of 2-s slices/) // the numbers p1-http-overhead.ts runs with
  assert.ok(definitions.every((definition) => !/[<>]/.test(definition.id)), 'no HTML-like text in the table')
})
