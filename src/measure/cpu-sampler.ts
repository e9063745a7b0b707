import { cpus } from 'node:os'
import type { CpuTimes } from '../executors/messages.js'
import type { CpuWindow } from './report-schema.js'

export interface CpuSample {
  at: number
  process: NodeJS.CpuUsage
  cores: Array<{ user: number, nice: number, sys: number, idle: number, irq: number }>
}

/** Process CPU (every thread of this process) and the OS counters of each core, at one instant. */
export function sampleCpu (): CpuSample {
  return { at: performance.now(), process: process.cpuUsage(), cores: cpus().map((cpu) => cpu.times) }
}

const round = (value: number, digits = 4) => Number(value.toFixed(digits))

/**
 * CPU use between two samples. Per core: 1 − Δidle ÷ Δtotal from /proc/stat (every process on the machine, so
 * a busy neighbour shows up — that is the point: it tells whether the numbers can be trusted).
 */
export function cpuBetween (start: CpuSample, end: CpuSample, capacity: number, children: CpuTimes = { userMs: 0, systemMs: 0 }): CpuWindow {
  const windowMs = Math.max(end.at - start.at, 1e-6)
  const userMs = (end.process.user - start.process.user) / 1000 + children.userMs
  const systemMs = (end.process.system - start.process.system) / 1000 + children.systemMs
  const totalMs = userMs + systemMs
  const perCore = end.cores.map((after, core) => {
    const before = start.cores[core] ?? after
    const delta = (key: keyof typeof after) => after[key] - before[key]
    const total = delta('user') + delta('nice') + delta('sys') + delta('idle') + delta('irq')
    if (total <= 0) return { core, busy: 0, user: 0, system: 0 }
    return {
      core,
      busy: round(1 - delta('idle') / total),
      user: round((delta('user') + delta('nice')) / total),
      system: round((delta('sys') + delta('irq')) / total)
    }
  })
  const coresUsed = totalMs / windowMs
  return {
    userMs: round(userMs, 3),
    systemMs: round(systemMs, 3),
    totalMs: round(totalMs, 3),
    coresUsed: round(coresUsed),
    utilization: round(coresUsed / Math.max(capacity, 1e-6)),
    perCore
  }
}
