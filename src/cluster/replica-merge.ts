import type { ReplicaStats } from '../measure/report-schema.js'
import { cpuBetweenReadings } from './cpu-reading.js'
import type { CpuReading, SliceResult } from './slice-schema.js'

interface Share {
  slices: number
  retried: number
  tasks: number
  failed: number
  busyMs: number
  first: CpuReading
  last: CpuReading
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits))

/**
 * Each replica's share of a cluster job, from the slices it completed: counts add; its window runs from the start
 * of its first slice to the end of its last, and its CPU is the difference of its own counters over that window
 * (never a sum of per-slice windows, which overlap when it runs several slices at once).
 */
export class ReplicaMerge {
  readonly #replicas = new Map<string, Share>()

  add (result: SliceResult): void {
    const { summary } = result
    const busyMs = summary.workers.reduce((sum, worker) => sum + worker.busyMs, 0)
    const share = this.#replicas.get(result.replica)
    if (!share) {
      this.#replicas.set(result.replica, {
        slices: 1,
        retried: result.stalledBefore > 0 ? 1 : 0,
        tasks: summary.done + summary.failed,
        failed: summary.failed,
        busyMs,
        first: result.cpuStart,
        last: result.cpuEnd
      })
      return
    }
    share.slices++
    if (result.stalledBefore > 0) share.retried++
    share.tasks += summary.done + summary.failed
    share.failed += summary.failed
    share.busyMs += busyMs
    if (result.cpuStart.at < share.first.at) share.first = result.cpuStart
    if (result.cpuEnd.at > share.last.at) share.last = result.cpuEnd
  }

  rows (): ReplicaStats[] {
    return [...this.#replicas].sort(([a], [b]) => a.localeCompare(b)).map(([replica, share]) => {
      const windowMs = Math.max(share.last.at - share.first.at, 0)
      return {
        replica,
        slices: share.slices,
        retried: share.retried,
        tasks: share.tasks,
        failed: share.failed,
        windowMs: round(windowMs),
        tasksPerSec: windowMs > 0 ? round(share.tasks / (windowMs / 1000), 2) : 0,
        busyMs: round(share.busyMs),
        cpu: cpuBetweenReadings(share.first, share.last)
      }
    })
  }
}
