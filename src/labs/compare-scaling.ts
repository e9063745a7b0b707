import type { CompareRow, Scaling } from './compare-schema.js'
import { fitUsl, negligibleContention, PEAK_HORIZON, uslPeak, type UslParameters, type UslPeak, type UslPoint } from './usl-fit.js'

/**
 * A comparison's scaling law: per mode, the Universal Scalability Law fitted to its rows (src/labs/usl-fit.ts has
 * the math). What goes in:
 *
 *   N  the row's workers (what efficiency and Karp–Flatt divide by). A mode whose workers are the same at every
 *      level (async: one thread, however many tasks in flight) is fitted over concurrency instead — tasks in flight,
 *      Gunther's load N — since over workers it would have one level only.
 *   X  the row's tasksPerSec; only runs that succeeded (a failed or cancelled run's rate is of a partial run).
 *
 * The baseline is not a point of other modes: it is inline, with no dispatch and no worker to start, so as N = 1
 * of threads or pool it would put their per-task overhead into σ. λ is one N of the mode itself; the inline mode's
 * own entry has the baseline as its one level (and so no fit).
 */

/** A relative rmse above this is called a poor fit in the warnings. */
const POOR_FIT = 0.1

const significant = (value: number, digits = 4) => Number(value.toPrecision(digits))
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`

export function scalingOf (rows: readonly CompareRow[]): Scaling[] {
  const modes = [...new Set(rows.map((row) => row.mode))]
  return modes.map((mode) => scalingOfMode(mode, rows.filter((row) => row.mode === mode)))
}

function scalingOfMode (mode: string, rows: readonly CompareRow[]): Scaling {
  const distinct = (values: number[]) => [...new Set(values)].sort((a, b) => a - b)
  // Decided on every run of the mode, so a failed run does not change what N means.
  const over = distinct(rows.map((row) => row.workers)).length === 1 && distinct(rows.map((row) => row.concurrency)).length > 1
    ? 'concurrency'
    : 'workers'
  const succeeded = rows.filter((row) => row.status === 'succeeded' && row.tasksPerSec !== null && row.tasksPerSec > 0)
  const leftOut = rows.length - succeeded.length
  const nOf = (row: CompareRow) => over === 'workers' ? row.workers : row.concurrency
  const levels = distinct(succeeded.map(nOf))
  const leftOutNote = leftOut > 0 ? `${plural(leftOut, 'run')} that did not succeed left out` : ''

  if (succeeded.length === 0) {
    return { mode, fitted: false, over, levels: 0, reason: `no run succeeded${leftOut > 0 ? ` (${plural(leftOut, 'run')} failed or cancelled)` : ''}` }
  }
  const points: UslPoint[] = succeeded.map((row) => ({ n: nOf(row), throughput: row.tasksPerSec! }))
  const outcome = fitUsl(points)
  // More runs than worker counts: some concurrency ran on as many workers as a lower one (the pool at POOL_SIZE).
  const shared = over === 'workers' && levels.length < succeeded.length
    ? `concurrency ${succeeded.map((row) => row.concurrency).join(', ')} ran on ${succeeded.map((row) => row.workers).join(', ')} workers`
    : ''
  if (!outcome.fitted) {
    const details = [shared, leftOutNote].filter(Boolean).join('; ')
    return {
      mode,
      fitted: false,
      over,
      levels: outcome.levels,
      reason: `${plural(levels.length, 'level')} of ${over} with a successful run (${levels.join(', ')})${details ? ` — ${details}` : ''}; ` +
        'the fit needs at least 3: λ, σ and κ are three unknowns'
    }
  }

  const { fit } = outcome
  const largestN = levels.at(-1)!
  const peak = uslPeak(fit, largestN)
  const unit = over === 'workers' ? 'workers' : 'tasks in flight'
  const warnings = [
    ...(fit.levels === 3 ? ['3 levels for 3 unknowns: the law can pass through any 3 points it can follow at all, so rmse and R² test little; measure 4 or more levels to see whether it holds'] : []),
    ...(fit.relativeRmse > POOR_FIT ? [`the law fits poorly (rmse ${(fit.relativeRmse * 100).toFixed(0)} % of the mean tasks/s): the runs are noisy or scale some other way (see their warnings)`] : []),
    ...(peak.where === 'beyond' ? [`the peak N* ≈ ${significant(peak.n!, 3)} lies beyond the largest N measured (${largestN}): an extrapolation, to be confirmed by measuring there`] : []),
    ...(fit.atBounds.includes('sigma=1') ? ['σ is at its bound 1: throughput did not grow past one N (or fell): the law says no more than that'] : []),
    ...(fit.atBounds.includes('kappa=max') ? ['κ is at the largest value searched: throughput falls steeply; the numbers are a bound, not a fit'] : []),
    ...(shared ? [`${shared}: points at the same N`] : []),
    ...(leftOutNote ? [leftOutNote] : [])
  ]
  return {
    mode,
    fitted: true,
    over,
    levels: fit.levels,
    points: succeeded.map((row, i) => ({ n: nOf(row), concurrency: row.concurrency, tasksPerSec: row.tasksPerSec!, predicted: significant(fit.predicted[i]!) })),
    lambda: significant(fit.lambda),
    sigma: significant(fit.sigma),
    kappa: significant(fit.kappa),
    peak: peak.where,
    peakN: peak.n === null ? null : significant(peak.n, 3),
    peakTasksPerSec: peak.throughput === null ? null : significant(peak.throughput),
    rmse: significant(fit.rmse),
    relativeRmse: significant(fit.relativeRmse),
    r2: fit.r2 === null ? null : Number(fit.r2.toFixed(4)),
    reading: readingOf(fit, peak, largestN, unit),
    warnings
  }
}

/** The fit in one sentence, in the order a reader asks: is there a peak, else a ceiling, else neither. */
function readingOf (fit: UslParameters, peak: UslPeak, largestN: number, unit: string): string {
  if (peak.where === 'within') {
    return peak.n === 1
      ? `throughput is highest at N = 1 (${significant(peak.throughput!)} tasks/s): more ${unit} only cost`
      : `throughput peaks near N = ${significant(peak.n!, 3)} ${unit} (${significant(peak.throughput!)} tasks/s), within the levels measured; more lower it`
  }
  if (peak.where === 'beyond') {
    return `throughput is predicted to peak near N = ${significant(peak.n!, 3)} ${unit} (${significant(peak.throughput!)} tasks/s), beyond the ${largestN} measured`
  }
  const why = peak.estimate !== null && peak.estimate > PEAK_HORIZON * largestN
    ? `κ puts a peak only past ${PEAK_HORIZON}× the largest N measured, too far to trust`
    : 'κ ≈ 0'
  if (negligibleContention(fit.sigma, largestN)) {
    return `no peak and no ceiling within reach (σ ≈ 0; ${why}): throughput grows about linearly, ${significant(fit.lambda)} tasks/s per N`
  }
  return `no peak within reach (${why}): throughput levels off towards λ/σ ≈ ${significant(fit.lambda / fit.sigma)} tasks/s (contention alone, as in Amdahl's law)`
}
