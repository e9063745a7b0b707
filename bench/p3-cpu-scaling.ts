/**
 * P3 CPU scaling: one hashing job at concurrency = cores in threads, pool and processes vs the same job inline.
 * speedup = mode tasks/s ÷ inline tasks/s over wallMs (start-up and join excluded, reported apart); the target is on
 * speedup ÷ cores. Each round runs inline before and after the modes and compares each mode with the mean of the
 * two, and the median round is kept: this VM's speed drifts by a quarter within a minute.
 * P3.bare measures, in the same run, what the machine itself allows: bare worker_threads calling the same task
 * function with no engine at all, ×cores vs ×1. No engine can scale better than that.
 */
import type { Benchmark, Measure } from './benchmark.js'
import { median, pairedRatio } from './benchmark.js'
import { runAnchor } from './anchors/run-anchor.js'
import { runJob, type Report } from './service-client.js'
import { startService } from './service-process.js'

const MODES = ['threads', 'pool', 'processes'] as const

export const p3: Benchmark = {
  id: 'P3',
  title: 'CPU scaling at concurrency = cores',
  async run ({ quick, cores, log }) {
    // sha256 of 1 MiB × 4 rounds ≈ 2.3 ms a task here: long enough that dispatch is not what is measured.
    const params = { algorithm: 'sha256', bytes: 1024 * 1024, rounds: 4 }
    const tasks = quick ? 40 : 1500
    const rounds = quick ? 1 : 3
    const service = await startService({ POOL_SIZE: String(cores) })
    try {
      const job = (mode: string) => runJob(service.url, { workload: 'hash', mode, tasks, concurrency: mode === 'inline' ? 1 : cores, params })
      await job('inline')
      const runs: Record<string, Report[]> = { inline: [], threads: [], pool: [], processes: [] }
      /** per round: the mean of inline's tasks/s before and after the modes */
      const baseline: number[] = []
      const bare = (threads: number) => runAnchor<{ tasksPerSec: number }>('bare-threads-hash', { threads, tasks: Math.ceil(tasks / cores), ...params })
      const bareOne: number[] = []
      const bareAll: number[] = []
      for (let round = 0; round < rounds; round++) {
        const before = await job('inline')
        for (const mode of MODES) runs[mode]!.push(await job(mode))
        const after = await job('inline')
        runs.inline!.push(before, after)
        baseline.push((before.tasksPerSec + after.tasksPerSec) / 2)
        bareOne.push((await bare(1)).tasksPerSec)
        bareAll.push((await bare(cores)).tasksPerSec)
        log(`  round ${round + 1}: inline ${before.tasksPerSec.toFixed(0)}/${after.tasksPerSec.toFixed(0)}, ${MODES.map((mode) => `${mode} ${runs[mode]!.at(-1)!.tasksPerSec.toFixed(0)}`).join(', ')} tasks/s; bare threads ×1 ${bareOne.at(-1)!.toFixed(0)}, ×${cores} ${bareAll.at(-1)!.toFixed(0)}`)
      }
      const inline = median(runs.inline!.map((report) => report.tasksPerSec))
      const measures = MODES.map((mode): Measure => {
        const reports = runs[mode]!
        const tasksPerSec = median(reports.map((report) => report.tasksPerSec))
        const speedup = pairedRatio(reports.map((report) => report.tasksPerSec), baseline)
        return {
          id: `P3.${mode}`,
          name: `${mode} ×${cores} speedup ÷ cores (hash 1 MiB × 4)`,
          unit: 'tasks/s',
          ours: tasksPerSec,
          anchor: inline,
          anchorName: 'inline',
          ratio: speedup / cores,
          target: { op: '>=', value: 0.95 },
          detail: {
            speedup,
            tasks,
            startupMs: median(reports.map((report) => report.startupMs)),
            teardownMs: median(reports.map((report) => report.teardownMs)),
            coresUsed: median(reports.map((report) => report.cpu.coresUsed)),
            taskMeanMs: median(reports.map((report) => report.latencyMs?.mean ?? Number.NaN)),
            inlineTaskMeanMs: median(runs.inline!.map((report) => report.latencyMs?.mean ?? Number.NaN))
          }
        }
      })
      measures.push({
        id: 'P3.bare',
        name: `bare worker_threads ×${cores} (same task function, no engine) speedup ÷ cores: the machine's ceiling`,
        unit: 'tasks/s',
        ours: median(bareAll),
        anchor: median(bareOne),
        anchorName: 'bare ×1',
        ratio: pairedRatio(bareAll, bareOne) / cores,
        detail: { tasksPerThread: Math.ceil(tasks / cores) }
      })
      return measures
    } finally {
      await service.stop()
    }
  }
}
