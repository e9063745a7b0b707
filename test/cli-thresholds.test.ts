import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { JobView } from '../src/jobs/job.js'
import { CliError } from '../src/cli/cli-error.js'
import { checkThreshold, formatMeasured, parseThreshold } from '../src/cli/thresholds.js'

const summary = (p50: number, p99: number) => ({ count: 10, min: p50 / 2, p50, p90: p99 / 2, p99, max: p99 * 2, mean: p50 })
const job = {
  id: 'job-1',
  status: 'succeeded',
  spec: { mode: 'pool' },
  report: {
    tasksPerSec: 1500,
    wallMs: 800,
    startupMs: 12,
    tasks: { total: 1000, done: 990, failed: 10, notRun: 0 },
    latencyMs: summary(2, 40),
    queueMs: summary(0.5, 3),
    responseMs: summary(3, 120)
  }
} as unknown as JobView

test('thresholds: the grammar reads every metric, operator and unit', () => {
  const cases: Array<[string, number, boolean]> = [
    ['p99<50ms', 40, true],
    ['p99 < 50', 40, true],
    ['p99<=40ms', 40, true],
    ['p99<0.04s', 40, false],
    ['latency.p50==2', 2, true],
    ['response.p99<100ms', 120, false],
    ['response.max<=0.3s', 240, true],
    ['queue.p99<5ms', 3, true],
    ['mean>1ms', 2, true],
    ['min>=1', 1, true],
    ['tasksPerSec>1000', 1500, true],
    ['TASKSPERSEC>=2000', 1500, false],
    ['errors==0', 10, false],
    ['failed<=10', 10, true],
    ['errorRate<2%', 0.01, true],
    ['errorRate<0.005', 0.01, false],
    ['wall<1s', 800, true],
    ['startup<10ms', 12, false]
  ]
  for (const [text, measured, passed] of cases) {
    const result = checkThreshold(parseThreshold(text), job)
    assert.equal(result.measured, measured, text)
    assert.equal(result.passed, passed, text)
  }
})

test('thresholds: a bad one is a usage error (exit 2) that says what is wrong and what is allowed', () => {
  const cases: Array<[string, RegExp]> = [
    ['p99', /no operator/],
    ['p99<<50ms', /expected a metric, one operator and a number/],
    ['p99<fast', /expected a metric/],
    ['p98<50ms', /unknown metric 'p98'/],
    ['latency.p42<1', /unknown metric 'latency.p42'/],
    ['tasksPerSec>1000ms', /tasksPerSec takes no unit, not 'ms'/],
    ['p99<5%', /p99 takes ms or s, not '%'/],
    ['errors<1s', /errors takes no unit/],
    ['', /no operator/]
  ]
  for (const [text, pattern] of cases) {
    assert.throws(() => parseThreshold(text), (error: unknown) => {
      assert.ok(error instanceof CliError)
      assert.equal(error.exitCode, 2)
      assert.match(error.message, pattern)
      assert.match(error.message, /e\.g\. 'p99<50ms'/)
      assert.doesNotMatch(error.message, /\n/)
      return true
    }, text)
  }
})

test('thresholds: a job without a report fails every threshold as "not measured"', () => {
  const queued = { ...job, status: 'cancelled', report: null } as unknown as JobView
  const threshold = parseThreshold('errors==0')
  const result = checkThreshold(threshold, queued)
  assert.equal(result.passed, false)
  assert.equal(formatMeasured(threshold, result.measured), 'not measured')
  assert.equal(formatMeasured(parseThreshold('p99<1'), 0.1234), '0.123 ms')
  assert.equal(formatMeasured(parseThreshold('errorRate<1%'), 0.01), '1%')
})
