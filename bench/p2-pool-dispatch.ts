/**
 * P2 pool dispatch: a pool-mode job of tiny tasks (sha256 of 64 bytes, 1 round) vs a bare piscina run() loop with
 * the same pool size and in-flight limit, each in its own process; then the same job with `batch`, against the same
 * unbatched anchor (batching is what the engine offers to beat per-dispatch cost).
 */
import type { Benchmark } from './benchmark.js'
import { median, pairedRatio } from './benchmark.js'
import { runAnchor } from './anchors/run-anchor.js'
import { runJob } from './service-client.js'
import { startService } from './service-process.js'

const BATCH = 100

export const p2: Benchmark = {
  id: 'P2',
  title: 'pool dispatch: pool job vs bare piscina',
  async run ({ quick, cores, log }) {
    const tasks = quick ? 2000 : 20_000
    const rounds = quick ? 1 : 3
    const params = { algorithm: 'sha256', bytes: 64, rounds: 1 }
    const inFlight = cores
    const service = await startService({ POOL_SIZE: String(cores) })
    try {
      const job = (batch: number) => runJob(service.url, { workload: 'hash', mode: 'pool', tasks, concurrency: inFlight, batch, params })
      await job(1) // warm-up
      await job(BATCH)
      const anchor: number[] = []
      const single: number[] = []
      const batched: number[] = []
      for (let round = 0; round < rounds; round++) {
        anchor.push((await runAnchor<{ tasksPerSec: number }>('bare-piscina', { tasks, threads: cores, inFlight, ...params })).tasksPerSec)
        single.push((await job(1)).tasksPerSec)
        batched.push((await job(BATCH)).tasksPerSec)
        log(`  round ${round + 1}: bare piscina ${anchor.at(-1)!.toFixed(0)} tasks/s, pool job ${single.at(-1)!.toFixed(0)}, batch ${BATCH} ${batched.at(-1)!.toFixed(0)}`)
      }
      const bare = median(anchor)
      const detail = { tasks, poolSize: cores, inFlight, rounds, taskParams: 'sha256, 64 B, 1 round' }
      return [{
        id: 'P2',
        name: 'pool job tasks/s vs bare piscina run() loop',
        unit: 'tasks/s',
        ours: median(single),
        anchor: bare,
        anchorName: 'bare piscina',
        ratio: pairedRatio(single, anchor),
        target: { op: '>=', value: 0.9 },
        detail
      }, {
        id: 'P2.batch',
        name: `pool job with batch ${BATCH} vs bare piscina run() loop`,
        unit: 'tasks/s',
        ours: median(batched),
        anchor: bare,
        anchorName: 'bare piscina',
        ratio: pairedRatio(batched, anchor),
        target: { op: '>=', value: 3 },
        detail: { ...detail, batch: BATCH }
      }]
    } finally {
      await service.stop()
    }
  }
}
