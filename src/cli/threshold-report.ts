import type { JobView } from '../jobs/job.js'
import { checkThreshold, formatMeasured, type Threshold, type ThresholdResult } from './thresholds.js'
import { labelOf } from './speed-comparison.js'

/** Every threshold against every job; the results in k6's style (✓ / ✗, the measured value beside each). */
export function checkAll (thresholds: Threshold[], jobs: JobView[]): ThresholdResult[] {
  return thresholds.flatMap((threshold) => jobs.map((job) => checkThreshold(threshold, job)))
}

export function renderThresholds (results: ThresholdResult[]): string {
  const width = Math.max(...results.map((result) => result.threshold.text.length))
  return ['thresholds', ...results.map(({ threshold, job, measured, passed }) =>
    `  ${passed ? '✓' : '✗'} ${threshold.text.padEnd(width)}  ${labelOf(job)}: ${threshold.metric.name} = ${formatMeasured(threshold, measured)}`)].join('\n')
}

/** One line per failed threshold, for stderr: which threshold, which job, what was measured. */
export function failureLine ({ threshold, job, measured }: ThresholdResult): string {
  return `threshold '${threshold.text}' failed for ${labelOf(job)} (job ${job.id}): ${threshold.metric.name} = ${formatMeasured(threshold, measured)}`
}
