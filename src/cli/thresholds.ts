import type { JobView } from '../jobs/job.js'
import type { LatencySummary, Report } from '../measure/report-schema.js'
import { usageError } from './cli-error.js'

/**
 * Pass/fail criteria on a job's report, k6 style: `--threshold 'p99<50ms' --threshold 'tasksPerSec>1000'`.
 *
 *   threshold = metric op number [unit]          spaces allowed between the parts
 *   metric    = stat                              service time (report.latencyMs), e.g. p99
 *             | ("latency" | "queue" | "response") "." stat     e.g. response.p99 (report.responseMs)
 *             | "tasksPerSec" | "errors" | "failed" | "errorRate" | "wall" | "startup"
 *   stat      = "min" | "p50" | "p90" | "p99" | "max" | "mean"
 *   op        = "<" | "<=" | ">" | ">=" | "=="
 *   unit      = "ms" | "s"    times (stats, wall, startup); without one, ms
 *             | "%"          errorRate; without it a share 0…1
 *
 * `errors` and `failed` are the same: tasks that failed (report.tasks.failed). `errorRate` is failed ÷ (done + failed).
 * A syntax error is a usage error (exit 2) before anything runs; a failed threshold is exit 99 after the run.
 */
const STATS = ['min', 'p50', 'p90', 'p99', 'max', 'mean'] as const
type Stat = typeof STATS[number]
const SUMMARIES = { latency: 'latencyMs', queue: 'queueMs', response: 'responseMs' } as const
type Op = '<' | '<=' | '>' | '>=' | '=='

type Kind = 'time' | 'rate' | 'count' | 'share'
interface Metric { name: string, kind: Kind, read: (report: Report) => number | null }

const summaryMetric = (summary: keyof typeof SUMMARIES, stat: Stat, name: string): Metric => ({
  name,
  kind: 'time',
  read: (report) => (report[SUMMARIES[summary]] as LatencySummary | null)?.[stat] ?? null
})

const METRICS = new Map<string, Metric>()
for (const stat of STATS) {
  METRICS.set(stat, summaryMetric('latency', stat, stat))
  for (const summary of Object.keys(SUMMARIES) as Array<keyof typeof SUMMARIES>) METRICS.set(`${summary}.${stat}`, summaryMetric(summary, stat, `${summary}.${stat}`))
}
const failed: Metric = { name: 'failed', kind: 'count', read: (report) => report.tasks.failed }
METRICS.set('taskspersec', { name: 'tasksPerSec', kind: 'rate', read: (report) => report.tasksPerSec })
METRICS.set('errors', { ...failed, name: 'errors' })
METRICS.set('failed', failed)
METRICS.set('errorrate', {
  name: 'errorRate',
  kind: 'share',
  read: (report) => {
    const ran = report.tasks.done + report.tasks.failed
    return ran === 0 ? null : report.tasks.failed / ran
  }
})
METRICS.set('wall', { name: 'wall', kind: 'time', read: (report) => report.wallMs })
METRICS.set('startup', { name: 'startup', kind: 'time', read: (report) => report.startupMs })

export const METRIC_NAMES = ['p50', 'p90', 'p99', 'max', 'mean', 'min', 'latency.<stat>', 'queue.<stat>', 'response.<stat>', 'tasksPerSec', 'errors', 'failed', 'errorRate', 'wall', 'startup']

export interface Threshold {
  /** as the user wrote it */
  text: string
  metric: Metric
  op: Op
  /** in the metric's own unit: ms for times, a share 0…1 for errorRate */
  limit: number
}

const SYNTAX = /^\s*([A-Za-z][A-Za-z0-9.]*)\s*(<=|>=|==|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|%)?\s*$/
const UNITS: Record<Kind, Record<string, number>> = {
  time: { '': 1, ms: 1, s: 1000 },
  share: { '': 1, '%': 0.01 },
  rate: { '': 1 },
  count: { '': 1 }
}

const bad = (text: string, why: string) =>
  usageError(`bad threshold '${text}': ${why}; write <metric><op><number>[unit], e.g. 'p99<50ms' or 'tasksPerSec>1000' (metrics: ${METRIC_NAMES.join(', ')}; ops: < <= > >= ==; units: ms, s, %)`)

export function parseThreshold (text: string): Threshold {
  const match = SYNTAX.exec(text)
  if (!match) {
    const op = /(<=|>=|==|<|>)/.exec(text)
    throw bad(text, op ? 'expected a metric, one operator and a number' : 'no operator')
  }
  const [, name, op, number, unit = ''] = match
  const metric = METRICS.get(name!.toLowerCase())
  if (!metric) throw bad(text, `unknown metric '${name}'`)
  const scale = UNITS[metric.kind][unit]
  if (scale === undefined) throw bad(text, `${metric.name} takes ${Object.keys(UNITS[metric.kind]).filter(Boolean).join(' or ') || 'no unit'}, not '${unit}'`)
  return { text: text.trim(), metric, op: op as Op, limit: Number(number) * scale }
}

export interface ThresholdResult { threshold: Threshold, job: JobView, measured: number | null, passed: boolean }

const compare = (measured: number, op: Op, limit: number): boolean => {
  switch (op) {
    case '<': return measured < limit
    case '<=': return measured <= limit
    case '>': return measured > limit
    case '>=': return measured >= limit
    case '==': return measured === limit
  }
}

/** A threshold on a job without a report, or whose metric was not measured (no task ran), fails. */
export function checkThreshold (threshold: Threshold, job: JobView): ThresholdResult {
  const measured = job.report ? threshold.metric.read(job.report) : null
  return { threshold, job, measured, passed: measured !== null && compare(measured, threshold.op, threshold.limit) }
}

export function formatMeasured (threshold: Threshold, measured: number | null): string {
  if (measured === null) return 'not measured'
  switch (threshold.metric.kind) {
    case 'time': return `${round(measured)} ms`
    case 'rate': return `${round(measured)} tasks/s`
    case 'share': return `${round(measured * 100)}%`
    case 'count': return String(measured)
  }
}

const round = (value: number) => Number.isInteger(value) ? String(value) : value >= 100 ? value.toFixed(1) : value.toPrecision(3)
