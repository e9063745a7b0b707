/**
 * When each task of a job is due (DESIGN.md, timing vocabulary). Every executor stamps `dueAt` on its outcomes
 * with these rules, so queueMs = start − due and responseMs = end − due mean the same thing in every mode:
 *
 *   closed loop (no rate): a task is due when a concurrency slot takes it: the run's start for the first ones,
 *                          then the moment its slot freed (a batch's tasks share the batch's due time, so the
 *                          ones behind others in a batch show the wait)
 *   open loop (rate):      a task is due at runStart + offsetsMs[index], whether or not earlier tasks have ended;
 *                          it never starts before, and whatever cannot start on time waits, measured from its due
 *                          time (wrk2's correction, by construction)
 *
 * The run's start is when the executor begins to dispatch, once its workers are ready (their start-up is
 * startupMs, not queue time). Times are ms since the epoch (performance.timeOrigin + now): comparable across
 * threads and processes.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { seededRandom } from '../workloads/seeded-random.js'

export type ArrivalProcess = 'constant' | 'poisson'

/** An open-loop schedule: each task's due time after the run's start, in ms (in shared memory for threads). */
export interface ArrivalSchedule {
  offsetsMs: Float64Array
}

export const epochNow = (): number => performance.timeOrigin + performance.now()

/**
 * Due offsets for `tasks` arrivals at `rate` per second: evenly spaced (constant), or with exponential gaps of the
 * same mean (poisson), seeded so the same seed gives the same schedule. The first task is due at once.
 */
export function arrivalSchedule (tasks: number, rate: number, process: ArrivalProcess, seed: number): ArrivalSchedule {
  const offsetsMs = new Float64Array(new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * tasks))
  const gapMs = 1000 / rate
  if (process === 'constant') {
    for (let index = 0; index < tasks; index++) offsetsMs[index] = index * gapMs
  } else {
    const random = seededRandom(seed, 0x5eed)
    let at = 0
    for (let index = 0; index < tasks; index++) {
      offsetsMs[index] = at
      at += -Math.log(1 - random()) * gapMs
    }
  }
  return { offsetsMs }
}

/** A task's due time in an open-loop run that started at `runStartedAt`. */
export function scheduledAt (schedule: ArrivalSchedule, runStartedAt: number, index: number): number {
  return runStartedAt + (schedule.offsetsMs[index] ?? 0)
}

/** Waits until `epochMs` (nothing to wait for when it has passed); resolves early, without throwing, on abort. */
export async function waitUntil (epochMs: number, signal?: AbortSignal): Promise<void> {
  const ms = epochMs - epochNow()
  if (ms <= 0 || signal?.aborted) return
  await sleep(ms, undefined, signal ? { signal } : undefined).catch(() => {})
  // Timers may fire up to a millisecond early (they round); never start a task before it is due.
  const left = epochMs - epochNow()
  if (left > 0 && !signal?.aborted) await sleep(Math.ceil(left), undefined, signal ? { signal } : undefined).catch(() => {})
}

/** How many of the indices from `first` on are due by `now` (at least the first, which the caller waited for). */
export function dueCount (schedule: ArrivalSchedule, runStartedAt: number, first: number, max: number, now = epochNow()): number {
  let count = 1
  while (count < max && scheduledAt(schedule, runStartedAt, first + count) <= now) count++
  return count
}
