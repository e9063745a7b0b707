import type { CpythonAnswer } from '../cpython/cpython-schema.js'
import type { CpythonCompareResult } from './compare-cpython.js'
import type { CompareRow, Comparison, Scaling } from './compare-schema.js'

/**
 * A comparison for curl (`Accept: text/plain`: an aligned table, numbers right-aligned, the scaling-law fit under
 * it) and for spreadsheets (`Accept: text/csv`: a header row and one row per run, skipped combinations last with
 * status `skipped`; the fit is not in the CSV, whose every line is a run: it is in the JSON and the table).
 */

type Align = 'left' | 'right'

/** Rows of cells as aligned columns, two spaces apart; the last column is not padded. */
export function alignedTable (rows: string[][], align: Align[] = []): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, column) => { widths[column] = Math.max(widths[column] ?? 0, cell.length) })
  return rows.map((row) => row.map((cell, column) => {
    const width = widths[column]!
    if (align[column] === 'right') return cell.padStart(width)
    return column === row.length - 1 ? cell : cell.padEnd(width)
  }).join('  ').trimEnd()).join('\n')
}

/** RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. */
export function csvField (text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function csvLines (rows: string[][]): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\n') + '\n'
}

const fixed = (value: number | null, digits: number) => value === null ? '-' : value.toFixed(digits)
const percent = (value: number | null) => value === null ? '-' : `${(value * 100).toFixed(0)}%`

const HEADER = ['mode', 'conc', 'wall ms', 'tasks/s', 'speedup', 'eff', 'eff/core', 'serial', 'cpu', 'cores used', 'startup ms', 'status']
const ALIGN: Align[] = ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left']

/** An impossible value keeps a `!` beside it, so it is never read as a plain result (the warnings say why). */
const flagged = (cell: string, row: CompareRow, what: string) =>
  row.warnings.some((warning) => warning.startsWith(`impossible: ${what}`)) ? `${cell}!` : cell

function tableRow (row: CompareRow): string[] {
  return [
    row.baseline ? `${row.mode} *` : row.mode,
    String(row.concurrency),
    fixed(row.wallMs, 1),
    fixed(row.tasksPerSec, 1),
    fixed(row.speedup, 2),
    flagged(fixed(row.efficiency, 2), row, 'efficiency'),
    fixed(row.efficiencyPerCore, 2),
    flagged(fixed(row.serialFraction, 3), row, 'serial fraction'),
    percent(row.cpuUtilization),
    fixed(row.coresUsed, 2),
    fixed(row.startupMs, 1),
    row.status + (row.error ? ` (${row.error.code})` : '')
  ]
}

const SCALING_HEADER = ['mode', 'N', 'levels', 'λ tasks/s', 'σ', 'κ', 'peak N*', 'peak tasks/s', 'rmse', 'rel rmse', 'R²']
const SCALING_ALIGN: Align[] = ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right']

/** κ spans decades (1e-6 … 1): exponent form below a thousandth, so it is never printed as 0.0000. */
const kappaCell = (kappa: number) => kappa === 0 ? '0' : kappa < 1e-3 ? kappa.toExponential(2) : kappa.toFixed(4)

/** The fit per mode: a table of the fitted ones, then each one's reading and warnings, and why the others are not. */
function scalingLines (scaling: Scaling[]): string[] {
  if (scaling.length === 0) return []
  const fitted = scaling.flatMap((entry) => entry.fitted ? [entry] : [])
  const table = fitted.length === 0
    ? []
    : alignedTable([SCALING_HEADER, ...fitted.map((fit) => [
      fit.mode,
      fit.over,
      String(fit.levels),
      fit.lambda.toFixed(1),
      fit.sigma.toFixed(4),
      kappaCell(fit.kappa),
      fit.peakN === null ? 'none' : `${fit.peakN.toFixed(1)}${fit.peak === 'beyond' ? ' (beyond)' : ''}`,
      fixed(fit.peakTasksPerSec, 1),
      fit.rmse.toFixed(1),
      `${(fit.relativeRmse * 100).toFixed(1)}%`,
      fixed(fit.r2, 3)
    ])], SCALING_ALIGN).split('\n').map((line) => `  ${line}`)
  const notes = scaling.flatMap((entry) => entry.fitted
    ? [`  ${entry.mode}: ${entry.reading}`, ...entry.warnings.map((warning) => `    ${warning}`)]
    : [`  ${entry.mode}: not fitted: ${entry.reason}`])
  return ['', 'scaling (Universal Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)), least squares on tasks/s; σ contention, κ coherency, peak N* = √((1−σ)/κ))',
    ...table, ...notes]
}

export function comparisonAsTable (comparison: Comparison): string {
  const { spec, baseline, env } = comparison
  const { workload, params, ...rest } = spec
  const settings = Object.entries(rest).map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`).join(' ')
  const head = alignedTable([
    ['compare', `${String(workload)}  ${settings}`],
    ['params', JSON.stringify(params)],
    ['baseline', `inline at concurrency 1: ${fixed(baseline.wallMs, 1)} ms, ${baseline.status ?? 'not run'}`],
    ['machine', env ? `${env.cpuModel}, ${env.cores} cores, quota ${env.cgroupCpuQuota ?? 'none'}, node ${env.node}, pool ${env.poolSize}` : '-'],
    ['elapsed', `${fixed(comparison.elapsedMs, 0)} ms`]
  ])
  const table = alignedTable([HEADER, ...comparison.rows.map(tableRow)], ALIGN)
  const skipped = comparison.skipped.map((run) => `  ${run.mode} at ${run.concurrency}: ${run.reason}`)
  const warnings = comparison.rows.flatMap((row) => row.warnings.map((warning) => `  ${row.mode} at ${row.concurrency}: ${warning}`))
  const legend = `* baseline. speedup = baseline wall ÷ wall; eff = speedup ÷ workers; eff/core = speedup ÷ ${comparison.cores} cores; ` +
    'serial = Karp–Flatt (1/speedup − 1/workers) ÷ (1 − 1/workers), - for one worker; cpu = report.cpu.utilization'
  return [head, '', table, ...scalingLines(comparison.scaling), ...(warnings.length > 0 ? ['', 'warnings', ...warnings] : []),
    ...(skipped.length > 0 ? ['', 'skipped', ...skipped] : []), ...cpythonLines(comparison.cpython), '', legend].join('\n') + '\n'
}

const fixedMs = (value: number) => value.toFixed(value < 10 ? 2 : 1)

/**
 * The compare's CPython original under the text table: its start-up per level (threads, then each start method)
 * and its hash runs as rows. Nothing when it was not asked for; one line saying why when it did not run.
 */
export function cpythonLines (answer: CpythonAnswer<CpythonCompareResult> | undefined): string[] {
  if (!answer || (!answer.ran && answer.reason?.startsWith('not requested'))) return []
  if (!answer.ran || !answer.result) return ['', `cpython  not run: ${answer.reason ?? 'no result'}`]
  const { python, result } = answer
  const head = `cpython  ${python ? `${python.version} (${python.build}${python.gilEnabled ? ', GIL on' : ', GIL off'})` : ''}, ${result.cores} cores, default start method ${result.defaultStartMethod}, ${fixedMs(answer.ms ?? 0)} ms in all`
  const startup = [
    ...result.startup.threads.map((entry) => ['threads', String(entry.workers), fixedMs(entry.minMs)]),
    ...result.startup.processes.map((entry) => [`processes ${entry.startMethod}`, String(entry.workers), fixedMs(entry.ms)])
  ]
  const runs = result.hash.map((row) => [row.executor, String(row.workers), row.input, fixedMs(row.wallMs), row.tasksPerSec === null ? '-' : row.tasksPerSec.toFixed(1), fixedMs(row.startupMs)])
  return [
    '', head,
    alignedTable([['start-up', 'workers', 'ms'], ...startup], ['left', 'right', 'right']).replace(/^/gm, '  '),
    ...(runs.length > 0 ? ['', alignedTable([['executor', 'workers', 'input', 'wall ms', 'tasks/s', 'startup ms'], ...runs], ['left', 'right', 'left', 'right', 'right', 'right']).replace(/^/gm, '  ')] : []),
    ...result.absent.map((entry) => `  not run: ${entry.what}: ${entry.reason}`)
  ]
}

const CSV_COLUMNS = ['mode', 'concurrency', 'workers', 'baseline', 'status', 'wallMs', 'tasksPerSec', 'speedup', 'efficiency',
  'efficiencyPerCore', 'serialFraction', 'cpuUtilization', 'coresUsed', 'startupMs', 'jobId', 'note', 'warnings'] as const

const text = (value: unknown) => value === null || value === undefined ? '' : String(value)

export function comparisonAsCsv (comparison: Comparison): string {
  const runs = comparison.rows.map((row) => CSV_COLUMNS.map((column) =>
    column === 'note'
      ? text(row.error && `${row.error.code}: ${row.error.message}`)
      : column === 'warnings' ? row.warnings.join('; ') : text(row[column])))
  const skipped = comparison.skipped.map((run) => CSV_COLUMNS.map((column) => {
    switch (column) {
      case 'mode': return run.mode
      case 'concurrency': return String(run.concurrency)
      case 'status': return 'skipped'
      case 'note': return run.reason
      default: return ''
    }
  }))
  return csvLines([[...CSV_COLUMNS], ...runs, ...skipped])
}
