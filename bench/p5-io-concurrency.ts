/**
 * P5 I/O concurrency: db queries of a fixed 50 ms latency. Little's law bounds throughput at
 * concurrency ÷ latency; the ratio is tasks/s ÷ that bound. The target is on `async` (1000 in flight on the event
 * loop); pool, threads and processes are reported at their own concurrency (a thread or process runs one query at
 * a time; pool threads take POOL_TASKS_PER_THREAD queries each, set here so the pool can hold 1000).
 */
import type { Benchmark, Measure } from './benchmark.js'
import { median } from './benchmark.js'
import { runJob, type Report } from './service-client.js'
import { startService } from './service-process.js'

const LATENCY_MS = 50

interface Case { mode: string, concurrency: number, tasks: number, target?: boolean }

export const p5: Benchmark = {
  id: 'P5',
  title: 'I/O concurrency vs Little\'s law',
  async run ({ quick, cores, log }) {
    const cases: Case[] = [
      { mode: 'async', concurrency: 1000, tasks: quick ? 2000 : 20_000, target: true },
      { mode: 'pool', concurrency: 1000, tasks: quick ? 2000 : 20_000 },
      { mode: 'threads', concurrency: 64, tasks: quick ? 128 : 2560 },
      { mode: 'processes', concurrency: 16, tasks: quick ? 32 : 640 }
    ]
    const rounds = quick ? 1 : 3
    const tasksPerThread = Math.ceil(1000 / cores)
    const service = await startService({ POOL_SIZE: String(cores), POOL_TASKS_PER_THREAD: String(tasksPerThread) })
    try {
      const job = ({ mode, concurrency, tasks }: Case) => runJob(service.url, {
        workload: 'db', mode, tasks, concurrency, params: { latencyMs: LATENCY_MS }
      })
      await job({ mode: 'async', concurrency: 100, tasks: 1000 })
      const runs = new Map<Case, Report[]>(cases.map((entry) => [entry, []]))
      for (let round = 0; round < rounds; round++) {
        for (const entry of cases) runs.get(entry)!.push(await job(entry))
        log(`  round ${round + 1}: ${cases.map((entry) => `${entry.mode}×${entry.concurrency} ${runs.get(entry)!.at(-1)!.tasksPerSec.toFixed(0)}`).join(', ')} tasks/s`)
      }
      return cases.map((entry): Measure => {
        const reports = runs.get(entry)!
        const tasksPerSec = median(reports.map((report) => report.tasksPerSec))
        const bound = entry.concurrency / (LATENCY_MS / 1000)
        const measure: Measure = {
          id: `P5.${entry.mode}`,
          name: `${entry.mode} ×${entry.concurrency}, db ${LATENCY_MS} ms: tasks/s ÷ Little's-law bound`,
          unit: 'tasks/s',
          ours: tasksPerSec,
          anchor: bound,
          anchorName: 'concurrency ÷ latency',
          ratio: tasksPerSec / bound,
          detail: {
            tasks: entry.tasks,
            latencyP50Ms: median(reports.map((report) => report.latencyMs?.p50 ?? Number.NaN)),
            latencyP99Ms: median(reports.map((report) => report.latencyMs?.p99 ?? Number.NaN)),
            startupMs: median(reports.map((report) => report.startupMs)),
            coresUsed: median(reports.map((report) => report.cpu.coresUsed))
          }
        }
        if (entry.mode === 'pool') measure.detail!.POOL_TASKS_PER_THREAD = tasksPerThread
        if (entry.target) measure.target = { op: '>=', value: 0.9 }
        return measure
      })
    } finally {
      await service.stop()
    }
  }
}
