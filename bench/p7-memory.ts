/**
 * P7 memory: the service's RSS (every thread of it, from /proc) after a warm-up, then after 100 000 tasks over
 * many jobs in every mode. A leak per task or per job shows as growth; the target is after ÷ warm-up ≤ 1.5.
 */
import { readFile } from 'node:fs/promises'
import type { Benchmark } from './benchmark.js'
import { runJob } from './service-client.js'
import { startService } from './service-process.js'

const MODES = ['inline', 'async', 'pool', 'threads', 'processes'] as const

async function rssMiB (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status)
  if (!match) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1]) / 1024
}

export const p7: Benchmark = {
  id: 'P7',
  title: 'memory after 100 000 tasks',
  async run ({ quick, cores, log }) {
    const jobs = quick ? 10 : 100
    const tasksPerJob = quick ? 200 : 1000
    const service = await startService({ POOL_SIZE: String(cores) })
    const job = (index: number) => {
      const mode = MODES[index % MODES.length]!
      return runJob(service.url, {
        workload: 'hash',
        mode,
        tasks: tasksPerJob,
        concurrency: mode === 'inline' ? 1 : cores,
        seed: index, // new input data per job, as users' jobs differ
        params: { bytes: 64, rounds: 1 }
      })
    }
    try {
      for (let index = 0; index < MODES.length * 2; index++) await job(index)
      const warm = await rssMiB(service.pid)
      let peak = warm
      for (let index = 0; index < jobs; index++) {
        await job(index)
        peak = Math.max(peak, await rssMiB(service.pid))
      }
      const after = await rssMiB(service.pid)
      log(`  RSS after warm-up ${warm.toFixed(1)} MiB, after ${jobs * tasksPerJob} tasks ${after.toFixed(1)} MiB (peak ${peak.toFixed(1)})`)
      return [{
        id: 'P7',
        name: `RSS after ${(jobs * tasksPerJob).toLocaleString('en-US')} tasks in ${jobs} jobs ÷ RSS after warm-up`,
        unit: 'MiB',
        ours: after,
        anchor: warm,
        anchorName: 'after warm-up',
        ratio: after / warm,
        target: { op: '<=', value: 1.5 },
        detail: { peakMiB: peak, jobs, tasksPerJob, modes: MODES.join(' ') }
      }]
    } finally {
      await service.stop()
    }
  }
}
