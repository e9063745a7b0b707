import type { LatencySummary, SeriesRow } from '../measure/report-schema.js'
import type { JobView } from './job.js'

/**
 * The job as text for curl (`Accept: text/plain`, an aligned table) and as CSV for spreadsheets
 * (`Accept: text/csv`, a header row of dotted field names and one row of values).
 */

function flatten (value: unknown, prefix: string, into: Array<[string, string]>): void {
  if (value === null || value === undefined) {
    into.push([prefix, ''])
  } else if (Array.isArray(value) || typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, into)
  } else {
    into.push([prefix, String(value)])
  }
}

function csvField (text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function jobAsCsv (job: JobView): string {
  const fields: Array<[string, string]> = []
  const { report, links: _links, ...rest } = job
  flatten(rest, '', fields)
  if (report) {
    // Lists of varying length stay out of the one row: series has GET /jobs/:id/series, warnings the JSON and the table,
    // the histograms' bins the JSON.
    const { errors: _errors, results: _results, series: _series, warnings: _warnings, histograms: _histograms, ...numbers } = report
    flatten(numbers, 'report', fields)
  }
  return `${fields.map(([key]) => csvField(key)).join(',')}\n${fields.map(([, value]) => csvField(value)).join(',')}\n`
}

function table (rows: string[][]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, column) => { widths[column] = Math.max(widths[column] ?? 0, cell.length) })
  return rows.map((row) => row.map((cell, column) => column === row.length - 1 ? cell : cell.padEnd(widths[column]!)).join('  ')).join('\n')
}

const num = (value: number, digits = 2) => Number.isInteger(value) ? String(value) : value.toFixed(digits)
const pct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`
const summary = (of: LatencySummary | null) => of
  ? `min ${num(of.min, 3)}  p50 ${num(of.p50, 3)}  p90 ${num(of.p90, 3)}  p99 ${num(of.p99, 3)}  max ${num(of.max, 3)}  mean ${num(of.mean, 3)}`
  : '-'

export function jobAsTable (job: JobView): string {
  const { spec, report } = job
  const head: string[][] = [
    ['job', job.id],
    ['status', job.status + (job.error ? ` (${job.error.code}: ${job.error.message})` : '')],
    ['spec', `workload=${String(spec.workload)} mode=${String(spec.mode)} tasks=${String(spec.tasks)} concurrency=${String(spec.concurrency)} batch=${String(spec.batch)} seed=${String(spec.seed)}`],
    ['params', JSON.stringify(spec.params)],
    ['progress', `done=${job.progress.done} failed=${job.progress.failed} total=${job.progress.total}`]
  ]
  if (!report) return `${table(head)}\n`
  const body: string[][] = [
    ['wall', `${num(report.wallMs)} ms (start-up ${num(report.startupMs)} ms, join ${num(report.teardownMs)} ms, total ${num(report.totalMs)} ms)`],
    ['throughput', `${num(report.tasksPerSec)} tasks/s`],
    ['tasks', `done=${report.tasks.done} failed=${report.tasks.failed} notRun=${report.tasks.notRun}`],
    ['latency ms', summary(report.latencyMs)],
    ['queue ms', summary(report.queueMs)],
    ['response ms', summary(report.responseMs)],
    ['arrivals', report.arrivals.rate === null
      ? 'closed loop (a task is due when a slot frees)'
      : `${report.arrivals.process} at ${num(report.arrivals.rate)}/s, achieved ${report.arrivals.achievedRate === null ? '-' : num(report.arrivals.achievedRate)}/s, ${report.arrivals.lateStarts} started late`],
    ['wait ms', report.waitMs ? `p50 ${num(report.waitMs.p50, 3)}  p99 ${num(report.waitMs.p99, 3)}  max ${num(report.waitMs.max, 3)}` : '-'],
    // The convoy experiment (spec.ioProbe): only when asked for.
    ...(report.ioProbe
      ? [['io probe ms', `${report.ioProbe.samples} rounds of ${num(report.ioProbe.ioMs)} ms I/O: round ${summary(report.ioProbe.latencyMs)}`],
          ['io probe gil wait', summary(report.ioProbe.gilWaitMs)]]
      : []),
    ['cpu', `user ${num(report.cpu.userMs)} ms  system ${num(report.cpu.systemMs)} ms  cores used ${num(report.cpu.coresUsed)}  utilization ${pct(report.cpu.utilization)}`],
    ['per core busy', report.cpu.perCore.map((core) => `${core.core}:${pct(core.busy)}`).join('  ')],
    ['event loop', `utilization ${pct(report.eventLoop.utilization)}  delay p99 ${num(report.eventLoop.delayP99Ms)} ms  max ${num(report.eventLoop.delayMaxMs)} ms`],
    ['machine', `${report.env.cpuModel}, ${report.env.cores} cores, quota ${report.env.cgroupCpuQuota ?? 'none'}, node ${report.env.node}, pool ${report.env.poolSize}`]
  ]
  const workers = table([['worker', 'tasks', 'busy ms', 'utilization'],
    ...report.workers.map((worker) => [worker.worker, String(worker.tasks), num(worker.busyMs), pct(worker.utilization)])])
  const errors = report.errors.map((error) => `  task ${error.index} (${error.worker}): ${error.message}`)
  if (report.errorsOmitted > 0) errors.push(`  … ${report.errorsOmitted} more`)
  const warnings = report.warnings.map((warning) => `  ${warning}`)
  // A cluster job: each replica's share, fairness across machines.
  const replicas = report.byReplica
    ? ['', table([['replica', 'slices', 'retried', 'tasks', 'tasks/s', 'busy ms', 'cores used'],
        ...report.byReplica.map((row) => [row.replica, String(row.slices), String(row.retried), String(row.tasks), num(row.tasksPerSec), num(row.busyMs), num(row.cpu.coresUsed)])])]
    : []
  return [table([...head, ...body]), '', workers, ...replicas,
    ...(warnings.length > 0 ? ['', 'warnings', ...warnings] : []),
    ...(errors.length > 0 ? ['', 'errors', ...errors] : [])].join('\n') + '\n'
}

/** GET /jobs/:id/series: the rows of a finished job's report. */
export interface SeriesView { intervalMs: number | null, rows: SeriesRow[] }

const SERIES_COLUMNS = ['startMs', 'endMs', 'done', 'failed', 'tasksPerSec', 'latencyP50Ms', 'latencyP99Ms', 'responseP50Ms', 'responseP99Ms'] as const

/** A header, then one line per row; the per-core busy shares as cpuBusy.0, cpuBusy.1… */
export function seriesAsCsv ({ rows }: SeriesView): string {
  const cores = Math.max(0, ...rows.map((row) => row.cpuBusy.length))
  const header = [...SERIES_COLUMNS, ...Array.from({ length: cores }, (_, core) => `cpuBusy.${core}`)]
  const lines = rows.map((row) => [...SERIES_COLUMNS.map((column) => String(row[column] ?? '')), ...row.cpuBusy.map(String)].join(','))
  return [header.join(','), ...lines].join('\n') + '\n'
}

export function seriesAsTable ({ intervalMs, rows }: SeriesView): string {
  const ms = (value: number | null) => value === null ? '-' : num(value, 3)
  return table([
    ['from ms', 'to ms', 'done', 'failed', 'tasks/s', 'latency p50', 'p99', 'response p50', 'p99', 'cpu busy'],
    ...rows.map((row) => [num(row.startMs), num(row.endMs), String(row.done), String(row.failed), num(row.tasksPerSec),
      ms(row.latencyP50Ms), ms(row.latencyP99Ms), ms(row.responseP50Ms), ms(row.responseP99Ms), row.cpuBusy.map(pct).join(' ')])
  ]) + `\n${rows.length} rows of ${intervalMs ?? '-'} ms\n`
}
