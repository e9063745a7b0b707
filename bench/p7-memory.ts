/**
 * P7 memory: does the service's RSS grow with the tasks it runs? After warm-up batches (JIT, heap growth, pool and
 * worker start-up: growth that stops), equal batches of jobs in every mode, with the RSS (every thread, from /proc)
 * read after each; the growth is the least-squares slope of RSS over tasks done, per 100 000 tasks. A leak per task
 * or per job shows as a slope that two readings could not tell from warm-up. The job store keeps MAX_STORED_JOBS
 * reports by design: capped at one batch, it is full after the first warm-up batch. The target is growth per
 * 100 000 tasks ≤ half the RSS after warm-up (the old two-reading target, after ÷ warm-up ≤ 1.5 at 100 000 tasks).
 */
import { readFile } from 'node:fs/promises'
import type { Benchmark, Definition, Target } from './benchmark.js'
import { describeTarget } from './benchmark.js'
import { runJob } from './service-client.js'
import { startService } from './service-process.js'

const MODES = ['inline', 'async', 'pool', 'threads', 'processes'] as const
const TARGET: Target = { op: '<=', value: 0.5 }
const PER_TASKS = 100_000

function settings (quick: boolean) {
  return {
    tasksPerJob: quick ? 200 : 1000,
    /** jobs per batch: every mode the same number of times */
    jobsPerBatch: MODES.length * 2,
    warmUpBatches: quick ? 1 : 2,
    batches: quick ? 3 : 10
  }
}

async function rssMiB (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status)
  if (!match) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1]) / 1024
}

/** The least-squares line y = intercept + slope·x, and how much of y's variance it explains (r²). */
export function leastSquares (x: number[], y: number[]): { slope: number, intercept: number, r2: number } {
  if (x.length < 2 || x.length !== y.length) throw new Error(`leastSquares: ${x.length} x and ${y.length} y values`)
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length
  const mx = mean(x)
  const my = mean(y)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let index = 0; index < x.length; index++) {
    sxy += (x[index]! - mx) * (y[index]! - my)
    sxx += (x[index]! - mx) ** 2
    syy += (y[index]! - my) ** 2
  }
  const slope = sxy / sxx
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) }
}

export const p7: Benchmark = {
  id: 'P7',
  title: 'memory growth per 100 000 tasks',
  definitions (): Definition[] {
    const s = settings(false)
    const batch = `${s.jobsPerBatch} jobs × ${s.tasksPerJob.toLocaleString('en-US')} tasks (${MODES.join(', ')} in turn; hash of 64 B, a new seed per job)`
    return [{
      id: 'P7',
      what: `service RSS growth per ${PER_TASKS.toLocaleString('en-US')} tasks: the least-squares slope of RSS over ${s.batches} equal batches of ${batch}, RSS read after each, after ${s.warmUpBatches} warm-up batches; job store capped at one batch (\`MAX_STORED_JOBS\` ${s.jobsPerBatch}) so the reports it keeps by design are not growth`,
      anchor: 'RSS after warm-up',
      target: describeTarget(TARGET, 'growth ÷ RSS after warm-up')
    }]
  },
  async run ({ quick, cores, log }) {
    const s = settings(quick)
    // The job store keeps MAX_STORED_JOBS finished reports by design: capped at one batch, it is full after the first
    // warm-up batch, so what it keeps is not counted as growth.
    const service = await startService({ POOL_SIZE: String(cores), MAX_STORED_JOBS: String(s.jobsPerBatch) })
    let jobIndex = 0
    const batch = async () => {
      for (let count = 0; count < s.jobsPerBatch; count++, jobIndex++) {
        const mode = MODES[jobIndex % MODES.length]!
        await runJob(service.url, {
          workload: 'hash',
          mode,
          tasks: s.tasksPerJob,
          concurrency: mode === 'inline' ? 1 : cores,
          seed: jobIndex, // new input data per job, as users' jobs differ
          params: { bytes: 64, rounds: 1 }
        })
      }
    }
    try {
      for (let index = 0; index < s.warmUpBatches; index++) await batch()
      const warm = await rssMiB(service.pid)
      const tasks = [0]
      const rss = [warm]
      for (let index = 0; index < s.batches; index++) {
        await batch()
        tasks.push((index + 1) * s.jobsPerBatch * s.tasksPerJob)
        rss.push(await rssMiB(service.pid))
      }
      const fit = leastSquares(tasks, rss)
      const growth = fit.slope * PER_TASKS
      log(`  RSS after warm-up ${warm.toFixed(1)} MiB; after each batch ${rss.slice(1).map((value) => value.toFixed(1)).join(' ')} MiB; growth ${growth.toFixed(2)} MiB per ${PER_TASKS} tasks (r² ${fit.r2.toFixed(2)})`)
      return [{
        id: 'P7',
        name: `RSS growth per ${PER_TASKS.toLocaleString('en-US')} tasks (least squares over ${s.batches} batches after warm-up) ÷ RSS after warm-up`,
        unit: 'MiB',
        ours: growth,
        anchor: warm,
        anchorName: 'RSS after warm-up',
        ratio: growth / warm,
        target: TARGET,
        detail: {
          tasksMeasured: tasks.at(-1)!,
          batches: s.batches,
          jobsPerBatch: s.jobsPerBatch,
          tasksPerJob: s.tasksPerJob,
          r2: fit.r2,
          rssMiB: rss.map((value) => value.toFixed(1)).join(' '),
          peakMiB: Math.max(...rss),
          modes: MODES.join(' ')
        }
      }]
    } finally {
      await service.stop()
    }
  }
}
