import { coreBusy, sampleCpu } from '../measure/cpu-sampler.js'
import type { CoreTimes } from '../measure/proc-stat.js'
import type { ReplicaStats } from '../measure/report-schema.js'
import type { CpuReading } from './slice-schema.js'

/** This replica's CPU counters now, as data a slice result carries (the clock is the epoch: it crosses machines). */
export function readCpu (): CpuReading {
  const sample = sampleCpu()
  return {
    at: performance.timeOrigin + sample.at,
    userMs: sample.process.user / 1000,
    systemMs: sample.process.system / 1000,
    cores: sample.cores
  }
}

const round = (value: number, digits = 4) => Number(value.toFixed(digits))

/** CPU of one replica between two of its readings: its process's cores used, and each core's busy share. */
export function cpuBetweenReadings (start: CpuReading, end: CpuReading): ReplicaStats['cpu'] {
  const windowMs = Math.max(end.at - start.at, 1e-6)
  const before = start.cores as CoreTimes[]
  return {
    coresUsed: round((end.userMs - start.userMs + end.systemMs - start.systemMs) / windowMs),
    perCore: (end.cores as CoreTimes[]).map((after) => coreBusy(before.find((core) => core.core === after.core) ?? after, after))
  }
}
