/**
 * P6 responsiveness: fixed-rate load on GET /healthz (latency percentiles need a fixed rate, not a closed loop)
 * while the service is idle, while a pool CPU job keeps every core busy, and while the same job runs inline on the
 * event loop. Target: busy p99 ÷ idle p99 ≤ 3 for the pool; the inline stall is reported (it is the lesson).
 */
import type { Benchmark, Measure } from './benchmark.js'
import { median, pairedRatio } from './benchmark.js'
import { load, type LoadResult } from './http-load.js'
import { cancelJob, startRunningJob } from './service-client.js'
import { startService } from './service-process.js'

export const p6: Benchmark = {
  id: 'P6',
  title: 'responsiveness of /healthz under CPU load',
  async run ({ quick, cores, log }) {
    const durationSec = quick ? 1 : 4
    const rate = 200
    const rounds = quick ? 1 : 3
    const service = await startService({ POOL_SIZE: String(cores) })
    // Far more work than the load lasts; cancelled once the measurement is done. 1 MiB × 2 ≈ 1.4 ms a task.
    const cpuJob = (mode: string) => ({ workload: 'hash', mode, tasks: 1_000_000, concurrency: mode === 'inline' ? 1 : cores, params: { bytes: 1024 * 1024, rounds: 2 } })
    const healthz = () => load({ url: `${service.url}/healthz`, connections: 10, durationSec, overallRate: rate })
    const underJob = async (mode: string): Promise<LoadResult> => {
      const id = await startRunningJob(service.url, cpuJob(mode))
      try {
        return await healthz()
      } finally {
        await cancelJob(service.url, id)
      }
    }
    try {
      await load({ url: `${service.url}/healthz`, connections: 10, durationSec: 1 }) // warm-up
      const idle: LoadResult[] = []
      const pool: LoadResult[] = []
      const inline: LoadResult[] = []
      for (let round = 0; round < rounds; round++) {
        idle.push(await healthz())
        pool.push(await underJob('pool'))
        inline.push(await underJob('inline'))
        log(`  round ${round + 1}: /healthz p99 idle ${idle.at(-1)!.latencyP99Ms} ms, pool job ${pool.at(-1)!.latencyP99Ms} ms, inline job ${inline.at(-1)!.latencyP99Ms} ms`)
      }
      const idleP99 = median(idle.map((result) => result.latencyP99Ms))
      const measure = (mode: string, results: LoadResult[], target: boolean): Measure => {
        const p99 = median(results.map((result) => result.latencyP99Ms))
        return {
          id: `P6.${mode}`,
          name: `/healthz p99 at ${rate} req/s during a ${mode} CPU job ÷ idle p99`,
          unit: 'ms',
          ours: p99,
          anchor: idleP99,
          anchorName: 'idle',
          // autocannon reports whole milliseconds: an idle p99 of 0 counts as 1 ms.
          ratio: pairedRatio(results.map((result) => result.latencyP99Ms), idle.map((result) => Math.max(result.latencyP99Ms, 1))),
          ...(target ? { target: { op: '<=' as const, value: 3 } } : {}),
          detail: {
            p50Ms: median(results.map((result) => result.latencyP50Ms)),
            maxMs: median(results.map((result) => result.latencyMaxMs)),
            idleP50Ms: median(idle.map((result) => result.latencyP50Ms)),
            requestsPerSec: median(results.map((result) => result.requestsPerSec)),
            durationSec
          }
        }
      }
      return [measure('pool', pool, true), measure('inline', inline, false)]
    } finally {
      await service.stop()
    }
  }
}
