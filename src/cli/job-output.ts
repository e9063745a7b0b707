import type { JobView } from '../jobs/job.js'
import { EXIT } from './cli-error.js'
import type { HistogramKind } from './histogram-chart.js'
import { jobsAsCsv, renderJob } from './job-report.js'
import { compareSpeed, labelOf, renderComparison } from './speed-comparison.js'
import { checkAll, failureLine, renderThresholds } from './threshold-report.js'
import type { OutputFormat } from './table-render.js'
import type { Threshold } from './thresholds.js'

export interface Streams { stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream }

/**
 * The finished jobs of `run` or `watch` on stdout in the chosen format, problems on stderr, and the exit code:
 * 1 when a job did not succeed, else 99 when a threshold failed, else 0.
 *   json  one line per job, each exactly what GET /jobs/:id answers (JSON Lines: one job is plain JSON)
 *   csv   a header and one row per job (job-report.ts CSV_HEAD)
 *   table / md   per job its tables (and its histogram with --histogram), then the speed comparison and the thresholds
 */
export function printJobs (jobs: JobView[], format: OutputFormat, thresholds: Threshold[], { stdout, stderr }: Streams,
  { histogram }: { histogram?: HistogramKind | undefined } = {}): number {
  const results = checkAll(thresholds, jobs)
  if (format === 'json') {
    stdout.write(jobs.map((job) => `${JSON.stringify(job)}\n`).join(''))
  } else if (format === 'csv') {
    stdout.write(`${jobsAsCsv(jobs)}\n`)
  } else {
    const sections = jobs.map((job) => renderJob(job, format, { histogram }))
    const comparison = compareSpeed(jobs)
    if (comparison) sections.push(renderComparison(comparison, format))
    if (results.length > 0) sections.push(format === 'md' ? `\`\`\`\n${renderThresholds(results)}\n\`\`\`` : renderThresholds(results))
    stdout.write(`${sections.join('\n\n')}\n`)
  }
  let exitCode: number = EXIT.ok
  const failed = results.filter((result) => !result.passed)
  for (const result of failed) stderr.write(`conclab: ${failureLine(result)}\n`)
  if (failed.length > 0) exitCode = EXIT.threshold
  for (const job of jobs.filter((one) => one.status !== 'succeeded')) {
    stderr.write(`conclab: ${labelOf(job)} job ${job.id} ended ${job.status}${job.error ? `: ${job.error.code}: ${job.error.message}` : ''}\n`)
    exitCode = EXIT.failed
  }
  return exitCode
}
