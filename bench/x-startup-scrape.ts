/** Reported without a target: thread vs process start-up, and how long a /metrics scrape takes. */
import type { Benchmark, Measure } from './benchmark.js'
import { median } from './benchmark.js'
import { runJob, timeGet } from './service-client.js'
import { startService } from './service-process.js'

export const x: Benchmark = {
  id: 'X',
  title: 'start-up and scrape time (reported, no target)',
  async run ({ quick, cores, log }) {
    const repeats = quick ? 2 : 7
    const service = await startService({ POOL_SIZE: String(cores) })
    try {
      const startup = async (mode: string) => (await runJob(service.url, {
        workload: 'hash', mode, tasks: cores, concurrency: cores, params: { bytes: 64, rounds: 1 }
      })).startupMs
      const threads: number[] = []
      const processes: number[] = []
      for (let repeat = 0; repeat < repeats; repeat++) {
        threads.push(await startup('threads'))
        processes.push(await startup('processes'))
      }
      // A scrape after jobs of every kind, so every family has series.
      await runJob(service.url, { workload: 'db', mode: 'async', tasks: 100, concurrency: 10, params: { latencyMs: 1 } })
      await runJob(service.url, { workload: 'hash', mode: 'pool', tasks: 100, concurrency: cores })
      const scrapes: number[] = []
      for (let repeat = 0; repeat < (quick ? 5 : 50); repeat++) scrapes.push(await timeGet(`${service.url}/metrics`))
      log(`  start-up ×${cores}: threads ${median(threads).toFixed(0)} ms, processes ${median(processes).toFixed(0)} ms; /metrics ${median(scrapes).toFixed(1)} ms`)
      const measures: Measure[] = [{
        id: 'X.startup',
        name: `start-up of ${cores} processes vs ${cores} threads (a job's startupMs, compiled service)`,
        unit: 'ms',
        ours: median(processes),
        anchor: median(threads),
        anchorName: 'threads',
        ratio: median(processes) / median(threads),
        detail: { repeats, threadsMinMs: Math.min(...threads), processesMinMs: Math.min(...processes) }
      }, {
        id: 'X.scrape',
        name: 'GET /metrics round trip (median)',
        unit: 'ms',
        ours: median(scrapes),
        anchor: null,
        ratio: null,
        detail: { scrapes: scrapes.length, maxMs: Math.max(...scrapes) }
      }]
      return measures
    } finally {
      await service.stop()
    }
  }
}
