import type { JobView } from '../jobs/job.js'
import { ms, fixed } from './number-format.js'

/**
 * hyperfine's summary for the jobs of one run: the fastest, then how many times faster it ran than each other
 * one. Compared on tasks/s (report.tasksPerSec = tasks done ÷ wallMs: dispatch to last result, so thread and
 * process start-up and the join are left out, as in every report). Only jobs that succeeded and did some work
 * take part; one or none gives no summary.
 */
export interface Comparison { fastest: JobView, others: Array<{ job: JobView, times: number }> }

export const labelOf = (job: JobView) => String(job.spec.mode)

export function compareSpeed (jobs: JobView[]): Comparison | null {
  const ranked = jobs.filter((job) => job.status === 'succeeded' && (job.report?.tasksPerSec ?? 0) > 0)
    .sort((a, b) => b.report!.tasksPerSec - a.report!.tasksPerSec)
  const [fastest, ...others] = ranked
  if (!fastest || others.length === 0) return null
  return { fastest, others: others.map((job) => ({ job, times: fastest.report!.tasksPerSec / job.report!.tasksPerSec })) }
}

export function renderComparison (comparison: Comparison, format: 'table' | 'md'): string {
  const rate = (job: JobView) => `${fixed(job.report!.tasksPerSec)} tasks/s`
  const lines = [
    `${format === 'md' ? '**Summary**' : 'Summary'}: tasks/s (tasks done ÷ wall time; start-up and join excluded)`,
    `  ${labelOf(comparison.fastest)} ran`,
    ...comparison.others.map(({ job, times }) => `    ${times.toFixed(2)} × faster than ${labelOf(job)} (${rate(comparison.fastest)} vs ${rate(job)})`)
  ]
  // What tasks/s leaves out, so a mode that pays to start its workers is not flattered by the comparison.
  const jobs = [comparison.fastest, ...comparison.others.map(({ job }) => job)]
  if (jobs.some((job) => job.report!.startupMs + job.report!.teardownMs > 0)) {
    lines.push(`  not counted: start-up + join ${jobs.map((job) => `${labelOf(job)} ${ms(job.report!.startupMs + job.report!.teardownMs)}`).join(', ')}`)
  }
  return format === 'md' ? lines.map((line) => line.trim()).join('  \n') : lines.join('\n')
}
