import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TaskOutcome } from '../src/executors/messages.js'
import { LatencyStats } from '../src/measure/latency-stats.js'
import { OutcomeCollector } from '../src/measure/outcome-collector.js'

/** Deterministic, spread over five decades (0.01 ms … 1 s), with ties: what makes averaged percentiles wrong. */
function outcomes (count: number): TaskOutcome[] {
  let state = 12345
  const next = () => { state = (state * 1103515245 + 12345) % 2 ** 31; return state / 2 ** 31 }
  return Array.from({ length: count }, (_, index) => {
    const runMs = index % 97 === 0 ? 1000 * next() : 10 ** (next() * 3 - 2)
    const dueAt = 1_700_000_000_000 + index
    return { index, ok: index % 31 !== 0, runMs, startedAt: dueAt + next() * 5, dueAt, worker: `w${index % 3}`, ...(index % 31 === 0 ? { error: `boom ${index}` } : {}), value: index }
  })
}

test('merging summaries of any split equals collecting every outcome in one place: counts, percentiles, workers, errors', () => {
  const all = outcomes(5000)
  const whole = new OutcomeCollector(20)
  for (const outcome of all) whole.add(outcome)
  // Uneven slices, as a cluster's replicas return them, merged out of order.
  const cuts = [0, 1, 7, 250, 251, 1800, 3999, 5000]
  const merged = new OutcomeCollector(20)
  const slices = cuts.slice(1).map((end, n) => {
    const part = new OutcomeCollector(20)
    for (const outcome of all.slice(cuts[n], end)) part.add(outcome)
    // What crosses Redis: JSON, and back.
    return JSON.parse(JSON.stringify(part.summary()))
  })
  for (const slice of slices.reverse()) merged.merge(slice)
  assert.deepEqual(merged.latency.summary(), whole.latency.summary())
  assert.deepEqual(merged.queue.summary(), whole.queue.summary())
  assert.deepEqual(merged.response.summary(), whole.response.summary())
  assert.equal(merged.done, whole.done)
  assert.equal(merged.failed, whole.failed)
  assert.equal(merged.lateStarts, whole.lateStarts)
  assert.equal(merged.startRate(), whole.startRate())
  assert.deepEqual(merged.workers(1000).sort((a, b) => a.worker.localeCompare(b.worker)), whole.workers(1000).sort((a, b) => a.worker.localeCompare(b.worker)))
  assert.equal(merged.errors.length + merged.errorsOmitted, whole.errors.length + whole.errorsOmitted)
  assert.equal(merged.errors.length, 20)
  assert.deepEqual(merged.results(), whole.results())
})

test('an empty histogram survives the trip as data, and merging it changes nothing', () => {
  const empty = LatencyStats.from(JSON.parse(JSON.stringify(new LatencyStats().data())))
  assert.equal(empty.summary(), null)
  const one = new LatencyStats()
  one.record(2.5)
  one.merge(empty)
  assert.deepEqual(one.summary(), { count: 1, min: 2.5, p50: 2.5, p90: 2.5, p99: 2.5, max: 2.5, mean: 2.5 })
})

test('a histogram\'s bins: log-spaced, 10 per decade, from min\'s bin to max\'s, counts adding up exactly', () => {
  const stats = new LatencyStats()
  const values = [0.05, 0.051, 0.2, 0.2, 3, 3.1, 47, 1000]
  for (const value of values) stats.record(value)
  const bins = stats.bins()
  assert.equal(bins.reduce((sum, bin) => sum + bin.count, 0), values.length)
  for (let i = 1; i < bins.length; i++) assert.ok(Math.abs(Math.log10(bins[i]!.le / bins[i - 1]!.le) - 0.1) < 1e-3, 'one tenth of a decade apart')
  assert.ok(bins[0]!.le >= 0.05 && bins[0]!.le < 0.05 * 10 ** 0.1, 'the first bin holds min')
  assert.ok(bins.at(-1)!.le >= 1000 && bins.at(-1)!.le < 1000 * 10 ** 0.1, 'the last bin holds max')
  // Every value lands in the bin whose range holds it.
  for (const value of values) {
    const bin = bins.find((candidate) => candidate.le >= value * (1 - 1e-3))!
    assert.ok(bin.count > 0, `${value} ms in the bin up to ${bin.le}`)
  }
  assert.deepEqual(new LatencyStats().bins(), [])
})
