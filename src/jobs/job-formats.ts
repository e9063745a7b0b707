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
    const { errors: _errors, results: _results, ...numbers } = report
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
  const lat = report.latencyMs
  const body: string[][] = [
    ['wall', `${num(report.wallMs)} ms (start-up ${num(report.startupMs)} ms, join ${num(report.teardownMs)} ms, total ${num(report.totalMs)} ms)`],
    ['throughput', `${num(report.tasksPerSec)} tasks/s`],
    ['tasks', `done=${report.tasks.done} failed=${report.tasks.failed} notRun=${report.tasks.notRun}`],
    ['latency ms', lat ? `min ${num(lat.min, 3)}  p50 ${num(lat.p50, 3)}  p90 ${num(lat.p90, 3)}  p99 ${num(lat.p99, 3)}  max ${num(lat.max, 3)}  mean ${num(lat.mean, 3)}` : '-'],
    ['wait ms', report.waitMs ? `p50 ${num(report.waitMs.p50, 3)}  p99 ${num(report.waitMs.p99, 3)}  max ${num(report.waitMs.max, 3)}` : '-'],
    ['cpu', `user ${num(report.cpu.userMs)} ms  system ${num(report.cpu.systemMs)} ms  cores used ${num(report.cpu.coresUsed)}  utilization ${pct(report.cpu.utilization)}`],
    ['per core busy', report.cpu.perCore.map((core) => `${core.core}:${pct(core.busy)}`).join('  ')],
    ['event loop', `utilization ${pct(report.eventLoop.utilization)}  delay p99 ${num(report.eventLoop.delayP99Ms)} ms  max ${num(report.eventLoop.delayMaxMs)} ms`],
    ['machine', `${report.env.cpuModel}, ${report.env.cores} cores, quota ${report.env.cgroupCpuQuota ?? 'none'}, node ${report.env.node}, pool ${report.env.poolSize}`]
  ]
  const workers = table([['worker', 'tasks', 'busy ms', 'utilization'],
    ...report.workers.map((worker) => [worker.worker, String(worker.tasks), num(worker.busyMs), pct(worker.utilization)])])
  const errors = report.errors.map((error) => `  task ${error.index} (${error.worker}): ${error.message}`)
  if (report.errorsOmitted > 0) errors.push(`  … ${report.errorsOmitted} more`)
  return [table([...head, ...body]), '', workers, ...(errors.length > 0 ? ['', 'errors', ...errors] : [])].join('\n') + '\n'
}
