import { readFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import type { Static } from 'typebox'
import type { MachineSchema } from './report-schema.js'

/**
 * The CPU quota of this cgroup (v2 `cpu.max`, v1 `cpu.cfs_quota_us`) in cores, or null when unlimited or unknown.
 * Inside a container `os.cpus()` lists the host's cores; this is what the service may really use.
 */
export function cgroupCpuQuota (): number | null {
  try {
    const [quota, period] = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/)
    if (quota === undefined || quota === 'max' || period === undefined) return null
    return Number(quota) / Number(period)
  } catch {}
  try {
    const quota = Number(readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us', 'utf8'))
    const period = Number(readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_period_us', 'utf8'))
    return quota > 0 && period > 0 ? quota / period : null
  } catch {
    return null
  }
}

/** The machine part of a report (the pool size is the service's, added by the caller). */
export type MachineInfo = Omit<Static<typeof MachineSchema>, 'poolSize'>

/** Cores this process may keep busy: the available parallelism, or the cgroup quota when it is lower. */
export function cpuCapacity (): number {
  const { cores, cgroupCpuQuota } = machineInfo()
  return cgroupCpuQuota === null ? cores : Math.min(cores, cgroupCpuQuota)
}

let cached: MachineInfo | undefined

/** What a report needs to describe the machine it was measured on. */
export function machineInfo (): MachineInfo {
  cached ??= {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    cgroupCpuQuota: cgroupCpuQuota()
  }
  return cached
}
