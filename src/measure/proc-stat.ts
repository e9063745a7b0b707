import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'

/**
 * /proc/stat counts in USER_HZ ticks. USER_HZ is a fixed part of the kernel's ABI (100 on x86 and arm, whatever the
 * kernel's own HZ: the kernel converts), and Node has no sysconf(_SC_CLK_TCK) to ask — `getconf CLK_TCK` says 100
 * here. So a per-core figure has a resolution of one 10 ms tick.
 */
export const USER_HZ = 100
export const TICK_MS = 1000 / USER_HZ

/** The eight states /proc/stat splits a core's time into (guest time is already inside user and nice). */
export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const
export type CpuMode = typeof CPU_MODES[number]

/** One core's cumulative time in each state since boot, in milliseconds. */
export type CoreTimes = { core: number } & Record<CpuMode, number>

/** Where per-core times came from: /proc/stat (all eight states) or os.cpus() (no iowait, softirq, steal). */
export type CoreTimesSource = 'proc-stat' | 'os-cpus'

/** The `cpuN` lines of a /proc/stat text (the aggregate `cpu` line and offline cores are not there). */
export function parseProcStat (text: string): CoreTimes[] {
  const cores: CoreTimes[] = []
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line)
    if (!match) continue
    const ticks = match[2]!.trim().split(/\s+/).map(Number)
    const times = { core: Number(match[1]) } as CoreTimes
    // Older kernels have fewer columns (steal since 2.6.11): a missing one is 0.
    CPU_MODES.forEach((mode, column) => { times[mode] = Number.isFinite(ticks[column]) ? ticks[column]! * TICK_MS : 0 })
    cores.push(times)
  }
  return cores
}

/** os.cpus() as CoreTimes: libuv reads user, nice, sys, idle and irq only. */
function osCoreTimes (): CoreTimes[] {
  return cpus().map(({ times }, core) => ({
    core, user: times.user, nice: times.nice, system: times.sys, idle: times.idle, iowait: 0, irq: times.irq, softirq: 0, steal: 0
  }))
}

/** Every core's times from `<root>/proc/stat`, or from os.cpus() where there is no /proc/stat (not Linux). */
export function readCoreTimes (root = '/'): { source: CoreTimesSource, cores: CoreTimes[] } {
  try {
    const cores = parseProcStat(readFileSync(join(root, 'proc/stat'), 'utf8'))
    if (cores.length > 0) return { source: 'proc-stat', cores }
  } catch {}
  return { source: 'os-cpus', cores: osCoreTimes() }
}
