/**
 * P2 pool dispatch: a pool-mode job of tiny tasks (sha256 of 64 bytes, 1 round) vs a bare piscina run() loop with
 * the same pool size and in-flight limit, each in its own process; then the same job with `batch` 100 against a bare
 * piscina loop that batches the same way (100 task indices per run() call, run one after another on the thread).
 * Each round runs every anchor next to its job, in alternating order (ABBA); the median round of each pair is kept.
 */
import type { Benchmark, Definition, Measure, Target } from './benchmark.js'
import { describeTarget, inAlternatingOrder, medianPair, roundRatios } from './benchmark.js'
import { runAnchor } from './anchors/run-anchor.js'
import { runJob } from './service-client.js'
import { startService } from './service-process.js'

const TARGET: Target = { op: '>=', value: 0.9 }
const BATCH = 100

function settings (quick: boolean) {
  return {
    tasks: quick ? 2000 : 20_000,
    rounds: quick ? 1 : 3,
    params: { algorithm: 'sha256', bytes: 64, rounds: 1 },
    batch: BATCH
  }
}

export const p2: Benchmark = {
  id: 'P2',
  title: 'pool dispatch: pool job vs bare piscina',
  definitions (): Definition[] {
    const s = settings(false)
    const job = `pool job of ${s.tasks.toLocaleString('en-US')} tiny tasks (sha256 of ${s.params.bytes} B, ${s.params.rounds} round), pool = in flight = cores`
    const rounds = `${s.rounds} rounds, anchor and job in alternating order; median round`
    return [{
      id: 'P2',
      what: `${job}, \`batch\` 1; ${rounds}`,
      anchor: 'a bare piscina `run()` loop in its own process, same pool size and in-flight limit, calling the same task function',
      target: describeTarget(TARGET)
    }, {
      id: 'P2.batch',
      what: `the same job with \`batch\` ${s.batch}; ${rounds}`,
      anchor: `the bare piscina loop batching the same way: ${s.batch} task indices per \`run()\` call, run in turn on the thread`,
      target: describeTarget(TARGET)
    }]
  },
  async run ({ quick, cores, log }) {
    const s = settings(quick)
    const inFlight = cores
    const service = await startService({ POOL_SIZE: String(cores) })
    try {
      const job = async (batch: number) => (await runJob(service.url, { workload: 'hash', mode: 'pool', tasks: s.tasks, concurrency: inFlight, batch, params: s.params })).tasksPerSec
      const bare = async (batch: number) => (await runAnchor<{ tasksPerSec: number }>('bare-piscina', { tasks: s.tasks, threads: cores, inFlight, batch, ...s.params })).tasksPerSec
      await job(1) // warm-up (the anchor warms itself up in its own process)
      await job(s.batch)
      const runs = { anchor: [] as number[], single: [] as number[], anchorBatched: [] as number[], batched: [] as number[] }
      for (let round = 0; round < s.rounds; round++) {
        await inAlternatingOrder(round, [
          async () => { runs.anchor.push(await bare(1)) },
          async () => { runs.single.push(await job(1)) },
          async () => { runs.anchorBatched.push(await bare(s.batch)) },
          async () => { runs.batched.push(await job(s.batch)) }
        ])
        log(`  round ${round + 1}: bare piscina ${runs.anchor.at(-1)!.toFixed(0)} tasks/s, pool job ${runs.single.at(-1)!.toFixed(0)}; batch ${s.batch}: bare ${runs.anchorBatched.at(-1)!.toFixed(0)}, pool job ${runs.batched.at(-1)!.toFixed(0)}`)
      }
      const detail = { tasks: s.tasks, poolSize: cores, inFlight, rounds: s.rounds, taskParams: `sha256, ${s.params.bytes} B, ${s.params.rounds} round` }
      const measure = (id: string, name: string, ours: number[], anchor: number[], extra: Record<string, number> = {}): Measure => {
        const paired = medianPair(ours, anchor)
        return {
          id,
          name,
          unit: 'tasks/s',
          ours: paired.ours,
          anchor: paired.anchor,
          anchorName: extra.batch ? `bare piscina, batch ${extra.batch}` : 'bare piscina',
          ratio: paired.ratio,
          target: TARGET,
          detail: { ...detail, ...extra, roundRatios: roundRatios(paired) }
        }
      }
      return [
        measure('P2', 'pool job tasks/s vs bare piscina run() loop', runs.single, runs.anchor),
        measure('P2.batch', `pool job with batch ${s.batch} vs bare piscina run() loop batching ${s.batch}`, runs.batched, runs.anchorBatched, { batch: s.batch })
      ]
    } finally {
      await service.stop()
    }
  }
}
