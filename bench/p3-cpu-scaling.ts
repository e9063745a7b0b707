/**
 * P3 CPU scaling: one hashing job at concurrency = cores in threads, pool and processes vs the same job inline.
 * speedup = mode tasks/s ÷ inline tasks/s over wallMs (start-up and join excluded: the target's measure), and again
 * over totalMs (start-up and join included: what a user waits for). Each round runs inline before and after the
 * modes, the modes in alternating order (threads, pool, processes; then processes, pool, threads), and compares each
 * mode with the mean of the two inline runs of its round; the median round is kept, with its own two rates.
 * P3.bare measures, in the same run, what the machine itself allows: bare worker_threads calling the same task
 * function with no engine at all, ×cores vs ×1 (alternating too). No engine can scale better than that.
 */
import type { Benchmark, Definition, Measure, Target } from './benchmark.js'
import { describeTarget, inAlternatingOrder, median, medianPair, roundRatios } from './benchmark.js'
import { runAnchor } from './anchors/run-anchor.js'
import { runJob, type Report } from './service-client.js'
import { startService } from './service-process.js'

const MODES = ['threads', 'pool', 'processes'] as const
const TARGET: Target = { op: '>=', value: 0.95 }

function settings (quick: boolean) {
  return {
    // sha256 of 1 MiB × 4 rounds ≈ 2.3 ms a task here: long enough that dispatch is not what is measured.
    params: { algorithm: 'sha256', bytes: 1024 * 1024, rounds: 4 },
    tasks: quick ? 40 : 1500,
    rounds: quick ? 1 : 3
  }
}

const wallRate = (report: Report) => report.tasksPerSec
const totalRate = (report: Report) => report.tasks.done / (report.totalMs / 1000)

export const p3: Benchmark = {
  id: 'P3',
  title: 'CPU scaling at concurrency = cores',
  definitions (): Definition[] {
    const s = settings(false)
    const job = `hash job (sha256 ${s.params.bytes / 1024 / 1024} MiB × ${s.params.rounds}, ${s.tasks.toLocaleString('en-US')} tasks) at concurrency = cores in threads, pool, processes (default \`batch\`)`
    return [{
      id: 'P3.threads, .pool, .processes',
      what: `${job}; tasks/s over \`wallMs\` (start-up and join excluded); ${s.rounds} rounds, modes in alternating order; median round`,
      anchor: 'the same job inline, run before and after the modes in each round (their mean)',
      target: describeTarget(TARGET, 'speedup ÷ cores')
    }, {
      id: 'P3.threads.total, .pool.total, .processes.total',
      what: 'the same runs, tasks/s over `totalMs` (start-up + wall + join)',
      anchor: 'inline over `totalMs`, same rounds',
      target: 'reported only'
    }, {
      id: 'P3.bare',
      what: `bare worker threads calling the same task function (${s.tasks.toLocaleString('en-US')} ÷ cores tasks each), ×cores; the machine's ceiling`,
      anchor: 'the same, ×1, alternating with it',
      target: 'reported only'
    }]
  },
  async run ({ quick, cores, log }) {
    const s = settings(quick)
    const service = await startService({ POOL_SIZE: String(cores) })
    try {
      const job = (mode: string) => runJob(service.url, { workload: 'hash', mode, tasks: s.tasks, concurrency: mode === 'inline' ? 1 : cores, params: s.params })
      await job('inline')
      const runs: Record<string, Report[]> = { threads: [], pool: [], processes: [] }
      /** per round: the inline runs before and after the modes */
      const inline: Array<[Report, Report]> = []
      const bare = async (threads: number) => (await runAnchor<{ tasksPerSec: number }>('bare-threads-hash', { threads, tasks: Math.ceil(s.tasks / cores), ...s.params })).tasksPerSec
      const bareOne: number[] = []
      const bareAll: number[] = []
      for (let round = 0; round < s.rounds; round++) {
        const before = await job('inline')
        await inAlternatingOrder(round, MODES.map((mode) => async () => { runs[mode]!.push(await job(mode)) }))
        const after = await job('inline')
        inline.push([before, after])
        await inAlternatingOrder(round, [
          async () => { bareOne.push(await bare(1)) },
          async () => { bareAll.push(await bare(cores)) }
        ])
        log(`  round ${round + 1}: inline ${before.tasksPerSec.toFixed(0)}/${after.tasksPerSec.toFixed(0)}, ${MODES.map((mode) => `${mode} ${runs[mode]!.at(-1)!.tasksPerSec.toFixed(0)}`).join(', ')} tasks/s; bare threads ×1 ${bareOne.at(-1)!.toFixed(0)}, ×${cores} ${bareAll.at(-1)!.toFixed(0)}`)
      }
      const baseline = (rate: (report: Report) => number) => inline.map(([before, after]) => (rate(before) + rate(after)) / 2)
      const perCore = (ours: number, anchor: number) => ours / anchor / cores
      const inlineTaskMeanMs = median(inline.flat().map((report) => report.latencyMs?.mean ?? Number.NaN))
      const measures: Measure[] = []
      for (const mode of MODES) {
        const reports = runs[mode]!
        const wall = medianPair(reports.map(wallRate), baseline(wallRate), perCore)
        const report = reports[wall.round]!
        measures.push({
          id: `P3.${mode}`,
          name: `${mode} ×${cores} speedup ÷ cores (hash 1 MiB × 4), start-up excluded (wallMs)`,
          unit: 'tasks/s',
          ours: wall.ours,
          anchor: wall.anchor,
          anchorName: 'inline',
          ratio: wall.ratio,
          target: TARGET,
          detail: {
            speedup: wall.ours / wall.anchor,
            tasks: s.tasks,
            startupMs: report.startupMs,
            teardownMs: report.teardownMs,
            coresUsed: report.cpu.coresUsed,
            taskMeanMs: report.latencyMs?.mean ?? Number.NaN,
            inlineTaskMeanMs,
            roundRatios: roundRatios(wall)
          }
        })
        const total = medianPair(reports.map(totalRate), baseline(totalRate), perCore)
        measures.push({
          id: `P3.${mode}.total`,
          name: `${mode} ×${cores} speedup ÷ cores, start-up and join included (totalMs)`,
          unit: 'tasks/s',
          ours: total.ours,
          anchor: total.anchor,
          anchorName: 'inline',
          ratio: total.ratio,
          detail: { speedup: total.ours / total.anchor, totalMs: reports[total.round]!.totalMs, roundRatios: roundRatios(total) }
        })
      }
      const ceiling = medianPair(bareAll, bareOne, perCore)
      measures.push({
        id: 'P3.bare',
        name: `bare worker_threads ×${cores} (same task function, no engine) speedup ÷ cores: the machine's ceiling`,
        unit: 'tasks/s',
        ours: ceiling.ours,
        anchor: ceiling.anchor,
        anchorName: 'bare ×1',
        ratio: ceiling.ratio,
        detail: { tasksPerThread: Math.ceil(s.tasks / cores), roundRatios: roundRatios(ceiling) }
      })
      return measures
    } finally {
      await service.stop()
    }
  }
}
