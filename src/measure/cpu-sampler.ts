import type { CpuTimes } from '../executors/messages.js'
import { allowedCores } from './cpuset.js'
import { readCoreTimes, type CoreTimes, type CoreTimesSource } from './proc-stat.js'
import type { CoreBusy, CpuWindow } from './report-schema.js'

export interface CpuSample {
  at: number
  process: NodeJS.CpuUsage
  source: CoreTimesSource
  /** only the cores the service may run on */
  cores: CoreTimes[]
}

/**
 * Process CPU (every thread of this process) and the OS counters of each core the process may run on, at one
 * instant. Paths are under `root` (default `/`): tests point it at fixture /proc files.
 */
export function sampleCpu (root = '/'): CpuSample {
  const { source, cores } = readCoreTimes(root)
  const allowed = allowedCores(root)
  const mine = allowed === null ? cores : cores.filter((times) => allowed.includes(times.core))
  return { at: performance.now(), process: process.cpuUsage(), source, cores: mine }
}

const round = (value: number, digits = 4) => Number(value.toFixed(digits))

/** One core's shares of the window; busy + iowait + steal + idle = 1 (idle is what is left). */
export function coreBusy (before: CoreTimes, after: CoreTimes): CoreBusy {
  const d = (mode: Exclude<keyof CoreTimes, 'core'>) => Math.max(after[mode] - before[mode], 0)
  const user = d('user') + d('nice')
  const system = d('system') + d('irq') + d('softirq')
  const total = user + system + d('idle') + d('iowait') + d('steal')
  if (total <= 0) return { core: after.core, busy: 0, user: 0, system: 0, iowait: 0, steal: 0 }
  return {
    core: after.core,
    busy: round((user + system) / total),
    user: round(user / total),
    system: round(system / total),
    iowait: round(d('iowait') / total),
    steal: round(d('steal') / total)
  }
}

/**
 * CPU use between two samples. coresUsed is the service's own (process.cpuUsage() + what children reported);
 * perCore is every process on the service's cores, from /proc/stat — so a busy neighbour or a greedy hypervisor
 * shows up, which is what cpuWarnings() checks.
 */
export function cpuBetween (start: CpuSample, end: CpuSample, capacity: number, children: CpuTimes = { userMs: 0, systemMs: 0 }): CpuWindow {
  const windowMs = Math.max(end.at - start.at, 1e-6)
  const userMs = (end.process.user - start.process.user) / 1000 + children.userMs
  const systemMs = (end.process.system - start.process.system) / 1000 + children.systemMs
  const totalMs = userMs + systemMs
  const perCore = end.cores.map((after) => coreBusy(start.cores.find((before) => before.core === after.core) ?? after, after))
  const coresUsed = totalMs / windowMs
  return {
    windowMs: round(windowMs, 3),
    source: end.source,
    capacity: round(capacity),
    userMs: round(userMs, 3),
    systemMs: round(systemMs, 3),
    totalMs: round(totalMs, 3),
    coresUsed: round(coresUsed),
    utilization: round(coresUsed / Math.max(capacity, 1e-6)),
    perCore
  }
}
