import type { JobView } from '../jobs/job.js'
import type { LatencySummary } from '../measure/report-schema.js'
import { histogramModel, type HistogramKind } from './histogram-chart.js'
import { duration, fixed, ms } from './number-format.js'
import { csvTable, renderTable, type TableModel } from './table-render.js'

/**
 * A finished job as autocannon prints a run: a line saying what ran, a latency table (p50, p90, p99, max, mean of
 * the service time, the queue wait and the response time, see docs/api.md#timing-due-start-end), a throughput
 * table, then the report's warnings. As a terminal table or Markdown; CSV is one row per job with fixed columns.
 */
const STATS = ['p50', 'p90', 'p99', 'max', 'mean'] as const
const SUMMARIES = [['Latency (service)', 'latencyMs'], ['Queue', 'queueMs'], ['Response', 'responseMs']] as const

export function jobTitle (job: JobView): string {
  const { spec } = job
  const error = job.error ? ` (${job.error.code}: ${job.error.message})` : ''
  return `${String(spec.mode)} · ${String(spec.workload)} · ${String(spec.tasks)} tasks · concurrency ${String(spec.concurrency)} · job ${job.id} ${job.status}${error}`
}

export function latencyModel (job: JobView): TableModel {
  const report = job.report!
  return {
    head: ['Stat', ...STATS],
    rows: SUMMARIES.map(([label, key]) => {
      const summary = report[key] as LatencySummary | null
      return [label, ...STATS.map((stat) => ms(summary?.[stat]))]
    })
  }
}

export function throughputModel (job: JobView): TableModel {
  const report = job.report!
  return {
    head: ['tasks/s', 'done', 'failed', 'not run', 'wall', 'start-up', 'cores used'],
    align: ['right'],
    rows: [[fixed(report.tasksPerSec), String(report.tasks.done), String(report.tasks.failed), String(report.tasks.notRun),
      duration(report.wallMs), ms(report.startupMs), report.cpu.coresUsed.toFixed(2)]]
  }
}

/** The job in the terminal (`table`) or as Markdown (`md`), with its distribution when asked. */
export function renderJob (job: JobView, format: 'table' | 'md', { histogram }: { histogram?: HistogramKind | undefined } = {}): string {
  const title = format === 'md' ? `### ${jobTitle(job)}` : jobTitle(job)
  if (!job.report) return `${title}\n(no report: the job never ran)`
  const report = job.report
  const params = `params ${JSON.stringify(job.spec.params)}`
  const lines = [
    title,
    '',
    renderTable(latencyModel(job), format),
    '',
    renderTable(throughputModel(job), format),
    '',
    `${report.tasks.done + report.tasks.failed} tasks in ${duration(report.wallMs)} (start-up ${ms(report.startupMs)}, join ${ms(report.teardownMs)}), ${report.tasks.failed} failed; ${params}`
  ]
  if (histogram) lines.push('', renderTable(histogramModel(report, histogram), format))
  for (const warning of report.warnings) lines.push(`warning: ${warning}`)
  for (const error of report.errors.slice(0, 3)) lines.push(`error: task ${error.index} on ${error.worker}: ${error.message}`)
  return lines.join('\n')
}

const stat = (summary: LatencySummary | null | undefined, key: typeof STATS[number]) => summary ? String(summary[key]) : ''

export const CSV_HEAD = [
  'id', 'status', 'workload', 'mode', 'tasks', 'concurrency', 'batch', 'done', 'failed', 'notRun', 'tasksPerSec', 'wallMs', 'startupMs',
  ...SUMMARIES.flatMap(([, key]) => STATS.map((name) => `${key}.${name}`)), 'coresUsed', 'error'
]

export function csvRow (job: JobView): string[] {
  const { spec, report } = job
  return [
    job.id, job.status, String(spec.workload), String(spec.mode), String(spec.tasks), String(spec.concurrency), String(spec.batch ?? ''),
    String(report?.tasks.done ?? job.progress.done), String(report?.tasks.failed ?? job.progress.failed), String(report?.tasks.notRun ?? ''),
    String(report?.tasksPerSec ?? ''), String(report?.wallMs ?? ''), String(report?.startupMs ?? ''),
    ...SUMMARIES.flatMap(([, key]) => STATS.map((name) => stat(report?.[key] as LatencySummary | null | undefined, name))),
    String(report?.cpu.coresUsed ?? ''), job.error ? `${job.error.code}: ${job.error.message}` : ''
  ]
}

/** Every job as one CSV row under one header. */
export function jobsAsCsv (jobs: JobView[]): string {
  return csvTable({ head: CSV_HEAD, rows: jobs.map(csvRow) })
}
