/**
 * P5 I/O concurrency: db queries of a fixed 50 ms latency. Little's law bounds throughput at
 * concurrency ÷ latency; the ratio is tasks/s ÷ that bound, over wallMs (start-up excluded: the target's measure)
 * and over totalMs (start-up and join included). The target is on `async` (1000 in flight on the event loop); pool,
 * threads and processes are reported at their own concurrency (a thread or process runs one query at a time; pool
 * threads take POOL_TASKS_PER_THREAD queries each, set here so the pool can hold 1000). The cases run in alternating
 * order from round to round; the median round of each is kept.
 */
import type { Benchmark, Definition, Measure, Target } from './benchmark.js'
import { describeTarget, inAlternatingOrder, medianPair, roundRatios } from './benchmark.js'
import { runJob, type Report } from './service-client.js'
import { startService } from './service-process.js'

const LATENCY_MS = 50
const TARGET: Target = { op: '>=', value: 0.9 }
/** the in-flight queries the pool must hold: POOL_TASKS_PER_THREAD = this ÷ cores */
const POOL_IN_FLIGHT = 1000

interface Case { mode: string, concurrency: number, tasks: number, target?: boolean }

function settings (quick: boolean) {
  const cases: Case[] = [
    { mode: 'async', concurrency: 1000, tasks: quick ? 2000 : 20_000, target: true },
    { mode: 'pool', concurrency: POOL_IN_FLIGHT, tasks: quick ? 2000 : 20_000 },
    { mode: 'threads', concurrency: 64, tasks: quick ? 128 : 2560 },
    { mode: 'processes', concurrency: 16, tasks: quick ? 32 : 640 }
  ]
  return { cases, rounds: quick ? 1 : 3 }
}

export const p5: Benchmark = {
  id: 'P5',
  title: 'I/O concurrency vs Little\'s law',
  definitions (): Definition[] {
    const s = settings(false)
    const cases = s.cases.map((entry) => `${entry.mode} ×${entry.concurrency} (${entry.tasks.toLocaleString('en-US')} tasks)`).join(', ')
    return [{
      id: 'P5.async, .pool, .threads, .processes',
      what: `db ${LATENCY_MS} ms queries: ${cases}; tasks/s over \`wallMs\`; ${s.rounds} rounds, cases in alternating order; median round`,
      anchor: 'Little\'s law: concurrency ÷ latency',
      target: `async: ${describeTarget(TARGET)}`
    }, {
      id: 'P5.async.total, .pool.total, .threads.total, .processes.total',
      what: 'the same runs, tasks/s over `totalMs` (start-up + wall + join)',
      anchor: 'Little\'s law: concurrency ÷ latency',
      target: 'reported only'
    }]
  },
  async run ({ quick, cores, log }) {
    const s = settings(quick)
    const tasksPerThread = Math.ceil(POOL_IN_FLIGHT / cores)
    const service = await startService({ POOL_SIZE: String(cores), POOL_TASKS_PER_THREAD: String(tasksPerThread) })
    try {
      const job = ({ mode, concurrency, tasks }: Case) => runJob(service.url, {
        workload: 'db', mode, tasks, concurrency, params: { latencyMs: LATENCY_MS }
      })
      await job({ mode: 'async', concurrency: 100, tasks: 1000 })
      const runs = new Map<Case, Report[]>(s.cases.map((entry) => [entry, []]))
      for (let round = 0; round < s.rounds; round++) {
        await inAlternatingOrder(round, s.cases.map((entry) => async () => { runs.get(entry)!.push(await job(entry)) }))
        log(`  round ${round + 1}: ${s.cases.map((entry) => `${entry.mode}×${entry.concurrency} ${runs.get(entry)!.at(-1)!.tasksPerSec.toFixed(0)}`).join(', ')} tasks/s`)
      }
      return s.cases.flatMap((entry): Measure[] => {
        const reports = runs.get(entry)!
        const bound = entry.concurrency / (LATENCY_MS / 1000)
        const bounds = reports.map(() => bound)
        const wall = medianPair(reports.map((report) => report.tasksPerSec), bounds)
        const report = reports[wall.round]!
        const measure: Measure = {
          id: `P5.${entry.mode}`,
          name: `${entry.mode} ×${entry.concurrency}, db ${LATENCY_MS} ms: tasks/s ÷ Little's-law bound, start-up excluded (wallMs)`,
          unit: 'tasks/s',
          ours: wall.ours,
          anchor: bound,
          anchorName: 'concurrency ÷ latency',
          ratio: wall.ratio,
          detail: {
            tasks: entry.tasks,
            latencyP50Ms: report.latencyMs?.p50 ?? Number.NaN,
            latencyP99Ms: report.latencyMs?.p99 ?? Number.NaN,
            startupMs: report.startupMs,
            coresUsed: report.cpu.coresUsed,
            roundRatios: roundRatios(wall)
          }
        }
        if (entry.mode === 'pool') measure.detail!.POOL_TASKS_PER_THREAD = tasksPerThread
        if (entry.target) measure.target = TARGET
        const total = medianPair(reports.map((each) => each.tasks.done / (each.totalMs / 1000)), bounds)
        return [measure, {
          id: `P5.${entry.mode}.total`,
          name: `${entry.mode} ×${entry.concurrency}, db ${LATENCY_MS} ms: tasks/s ÷ bound, start-up and join included (totalMs)`,
          unit: 'tasks/s',
          ours: total.ours,
          anchor: bound,
          anchorName: 'concurrency ÷ latency',
          ratio: total.ratio,
          detail: { totalMs: reports[total.round]!.totalMs, startupMs: reports[total.round]!.startupMs, roundRatios: roundRatios(total) }
        }]
      })
    } finally {
      await service.stop()
    }
  }
}
