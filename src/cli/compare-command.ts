import type { Comparison as CompareAnswer, ScalingFit } from '../labs/compare-schema.js'
import { EXIT } from './cli-error.js'
import { renderCpythonPart } from './cpython-compare.js'
import { paramsOf, warmupOf, type SpecOptions } from './job-spec.js'
import type { Streams } from './job-output.js'
import { fixed, orDash } from './number-format.js'
import type { ServiceClient } from './service-client.js'
import { renderTable, type OutputFormat, type TableModel } from './table-render.js'

export interface CompareOptions extends Omit<SpecOptions, 'concurrency'> {
  mode?: string[]
  concurrency?: number[]
  /** also run python/compare.py on the service's CPython after the Node runs (the answer's cpython field) */
  cpython?: boolean
  format: OutputFormat
  quiet: boolean
}

/**
 * `conclab compare`: POST /experiments/compare (docs/experiments.md) — modes × concurrency levels against the
 * inline baseline — and its rows (mode, concurrency, workers, tasks/s, speedup, efficiency) and the scaling law
 * fitted per mode (σ contention, κ coherency, the peak N*). The request answers when every run has ended.
 */
export function compareBody (options: CompareOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries({
    workload: options.workload,
    params: paramsOf(options),
    tasks: options.tasks,
    seed: options.seed,
    batch: options.batch,
    timeoutMs: options.timeoutMs,
    gil: options.gil,
    warmup: warmupOf(options),
    modes: options.mode,
    concurrency: options.concurrency,
    cpython: options.cpython
  }).filter(([, value]) => value !== undefined))
}

export function rowsModel (answer: CompareAnswer): TableModel {
  return {
    head: ['mode', 'concurrency', 'workers', 'tasks/s', 'speedup', 'efficiency', 'status'],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
    rows: answer.rows.map((row) => [
      `${row.mode}${row.baseline ? ' *' : ''}`, String(row.concurrency), String(row.workers), row.tasksPerSec === null ? '-' : fixed(row.tasksPerSec),
      orDash(row.speedup), orDash(row.efficiency), row.status + (row.warnings.length > 0 ? ' !' : '')
    ])
  }
}

export function scalingModel (answer: CompareAnswer): TableModel {
  const fits = answer.scaling.filter((fit): fit is ScalingFit => fit.fitted)
  return {
    head: ['mode', 'N counts', 'levels', 'λ tasks/s', 'σ', 'κ', 'peak N*', 'peak tasks/s', 'R²'],
    align: ['left', 'left'],
    rows: fits.map((fit) => [fit.mode, fit.over, String(fit.levels), fixed(fit.lambda), fit.sigma.toFixed(4), fit.kappa.toFixed(4),
      fit.peakN === null ? 'none' : `${fit.peakN.toFixed(1)}${fit.peak === 'beyond' ? ' (beyond)' : ''}`,
      fit.peakTasksPerSec === null ? '-' : fixed(fit.peakTasksPerSec), orDash(fit.r2, 3)])
  }
}

/** The Node tables; with `cpython`, the answer's CPython part after them (JSON: the whole answer; CSV: the Node rows only). */
export function renderCompare (answer: CompareAnswer, format: OutputFormat, { cpython = false } = {}): string {
  if (format === 'json') return JSON.stringify(answer)
  if (format === 'csv') return renderTable(rowsModel(answer), 'csv')
  const sections = [
    `compare · ${String(answer.spec.workload)} · ${String(answer.spec.tasks)} tasks per run · ${answer.cores} cores, pool ${answer.poolSize} · ${(answer.elapsedMs / 1000).toFixed(1)} s`,
    renderTable(rowsModel(answer), format),
    '* the baseline: inline at concurrency 1; speedup = its wall time ÷ the run\'s; efficiency = speedup ÷ workers; ! = see warnings'
  ]
  const fits = scalingModel(answer)
  const notes: string[] = []
  if (fits.rows.length > 0) {
    sections.push('scaling law (USL) X(N) = λN / (1 + σ(N−1) + κN(N−1)): σ contention, κ coherency, N* = √((1−σ)/κ) the peak', renderTable(fits, format))
  }
  for (const fit of answer.scaling) notes.push(fit.fitted ? `${fit.mode}: ${fit.reading}` : `${fit.mode}: not fitted: ${fit.reason}`)
  for (const row of answer.rows) for (const warning of row.warnings) notes.push(`warning: ${row.mode} at ${row.concurrency}: ${warning}`)
  for (const skip of answer.skipped) notes.push(`skipped ${skip.mode} at ${skip.concurrency}: ${skip.reason}`)
  if (notes.length > 0) sections.push(notes.join(format === 'md' ? '  \n' : '\n'))
  if (cpython) sections.push(...renderCpythonPart(answer.cpython, format))
  return sections.join('\n\n')
}

export async function compareCommand (client: ServiceClient, options: CompareOptions, { stdout, stderr }: Streams): Promise<number> {
  if (!options.quiet) {
    stderr.write(`conclab: compare: the service runs every mode and level one after another${options.cpython ? ', then python/compare.py on CPython' : ''}; the answer comes when all have ended\n`)
  }
  const answer = await client.json<CompareAnswer>('POST', '/experiments/compare', 'compare', { body: compareBody(options) })
  stdout.write(`${renderCompare(answer, options.format, { cpython: options.cpython ?? false })}\n`)
  const unfinished = answer.rows.filter((row) => row.status !== 'succeeded')
  for (const row of unfinished) stderr.write(`conclab: ${row.mode} at ${row.concurrency} ended ${row.status}${row.error ? `: ${row.error.code}: ${row.error.message}` : ''}\n`)
  return unfinished.length > 0 ? EXIT.failed : EXIT.ok
}
