import { TICK_MS } from './proc-stat.js'
import type { CpuWindow } from './report-schema.js'

/**
 * Above this share of the allowed cores' time taken by the hypervisor, say so. On these VMs two identical runs a
 * minute apart differed by 13 % (PITFALLS.md): steal is real, and a few percent of it already moves a speedup or a
 * tasks/s figure by that much — more than the differences a comparison is trying to show.
 */
export const STEAL_LIMIT = 0.02
/**
 * Above this share of the service's capacity used by other processes on its cores, say so. An idle machine's
 * daemons stay well under it; a neighbour holding a tenth of the cores changes a speedup by about a tenth.
 */
export const OTHER_LOAD_LIMIT = 0.10
/** Under ten /proc/stat ticks the per-core figures are too coarse to mean much (one tick = 10 % of the window). */
export const MIN_WINDOW_MS = 10 * TICK_MS

const pct = (share: number) => `${(share * 100).toFixed(1)} %`
const cores = (value: number) => String(Number(value.toFixed(3)))

/**
 * Why a CPU window's numbers may be suspect, each message starting with its kind (see ReportSchema.warnings).
 * Pure: it reads only the window. Every per-core count can be off by one tick per core (a cumulative counter
 * read twice, truncated to ticks), so no check fires below that resolution: over a window of W ms on n cores it is
 * n × 10 ms ÷ W cores.
 */
export function cpuWarnings (cpu: CpuWindow): string[] {
  const warnings: string[] = []
  const { windowMs, perCore, coresUsed, capacity } = cpu
  const allowed = perCore.length
  const resolution = allowed * TICK_MS / Math.max(windowMs, 1e-6)
  if (windowMs < MIN_WINDOW_MS) {
    warnings.push(`short window: ${windowMs} ms is under ${MIN_WINDOW_MS} ms, ten ${TICK_MS} ms ticks of /proc/stat: per-core figures and the checks on them are coarse`)
  }
  if (cpu.source === 'os-cpus') {
    warnings.push('no steal data: per-core figures come from os.cpus() (no /proc/stat here), which has no iowait, softirq or steal: time the hypervisor took cannot be seen')
  }
  if (allowed === 0) return warnings
  const sum = (pick: (core: CpuWindow['perCore'][number]) => number) => perCore.reduce((total, core) => total + pick(core), 0)
  const steal = sum((core) => core.steal)
  if (steal > Math.max(STEAL_LIMIT * allowed, resolution)) {
    warnings.push(`steal: the hypervisor took ${pct(steal / allowed)} of the ${allowed} allowed cores' time (above ${pct(STEAL_LIMIT)}): the service got less CPU than the window suggests, and runs vary`)
  }
  const busy = sum((core) => core.busy)
  const others = busy - coresUsed
  if (others > Math.max(OTHER_LOAD_LIMIT * capacity, resolution)) {
    warnings.push(`other load: other processes kept ${cores(others)} cores busy on the service's cores, ${pct(others / capacity)} of its capacity of ${cores(capacity)} (above ${pct(OTHER_LOAD_LIMIT)}): the service competed for CPU`)
  }
  if (coresUsed - busy > resolution) {
    warnings.push(`impossible: cpu.coresUsed ${cores(coresUsed)} exceeds the ${cores(busy)} cores the allowed cores were busy by more than one ${TICK_MS} ms tick per core: a measuring fault, do not trust these numbers`)
  }
  if (coresUsed > allowed + 0.01) {
    warnings.push(`impossible: cpu.coresUsed ${cores(coresUsed)} exceeds the ${allowed} cores the service may run on: a measuring fault, do not trust these numbers`)
  }
  return warnings
}
