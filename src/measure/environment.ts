import { availableParallelism, cpus } from 'node:os'
import type { Static } from 'typebox'
import { cgroupCpuQuota } from './cgroup-cpu.js'
import { allowedCores } from './cpuset.js'
import type { MachineSchema } from './report-schema.js'

/** The machine part of a report (the pool size is the service's, added by the caller). */
export type MachineInfo = Omit<Static<typeof MachineSchema>, 'poolSize'>

/** What bounds the service's CPU: the cores it may run on (its cpuset) and its cgroup's quota (null = none). */
export interface CpuLimits { cores: number, cgroupCpuQuota: number | null }

/** The limits read under `root` (default `/`): the cpuset's size (else the available parallelism) and the quota. */
export function cpuLimits (root = '/'): CpuLimits {
  if (root === '/') {
    const { cores, cgroupCpuQuota } = machineInfo()
    return { cores, cgroupCpuQuota }
  }
  return readLimits(root)
}

function readLimits (root: string): CpuLimits {
  return { cores: allowedCores(root)?.length ?? availableParallelism(), cgroupCpuQuota: cgroupCpuQuota(root) }
}

/** Cores this process may keep busy: min(the cores it may run on, its cgroup quota). */
export function cpuCapacity (root = '/'): number {
  const { cores, cgroupCpuQuota } = cpuLimits(root)
  return cgroupCpuQuota === null ? cores : Math.min(cores, cgroupCpuQuota)
}

let cached: MachineInfo | undefined

/** What a report needs to describe the machine it was measured on (read once: the limits of this process). */
export function machineInfo (): MachineInfo {
  cached ??= {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    ...readLimits('/')
  }
  return cached
}
