/** Reported without a target: thread vs process start-up (alternating, paired), and how long a /metrics scrape takes. */
import type { Benchmark, Definition, Measure } from './benchmark.js'
import { inAlternatingOrder, median, medianPair, roundRatios } from './benchmark.js'
import { runJob, timeGet } from './service-client.js'
import { startService } from './service-process.js'

function settings (quick: boolean) {
  return { repeats: quick ? 2 : 7, scrapes: quick ? 5 : 50 }
}

export const x: Benchmark = {
  id: 'X',
  title: 'start-up and scrape time (reported, no target)',
  definitions (): Definition[] {
    const s = settings(false)
    return [{
      id: 'X.startup',
      what: `start-up of cores processes vs cores threads: a job's \`startupMs\` (compiled service), ${s.repeats} pairs in alternating order; median pair`,
      anchor: 'threads, same pair',
      target: 'reported only'
    }, {
      id: 'X.scrape',
      what: `\`GET /metrics\` round trip after jobs of every kind, median of ${s.scrapes}`,
      anchor: '—',
      target: 'reported only'
    }]
  },
  async run ({ quick, cores, log }) {
    const s = settings(quick)
    const service = await startService({ POOL_SIZE: String(cores) })
    try {
      const startup = async (mode: string) => (await runJob(service.url, {
        workload: 'hash', mode, tasks: cores, concurrency: cores, params: { bytes: 64, rounds: 1 }
      })).startupMs
      const threads: number[] = []
      const processes: number[] = []
      for (let repeat = 0; repeat < s.repeats; repeat++) {
        await inAlternatingOrder(repeat, [
          async () => { threads.push(await startup('threads')) },
          async () => { processes.push(await startup('processes')) }
        ])
      }
      // A scrape after jobs of every kind, so every family has series.
      await runJob(service.url, { workload: 'db', mode: 'async', tasks: 100, concurrency: 10, params: { latencyMs: 1 } })
      await runJob(service.url, { workload: 'hash', mode: 'pool', tasks: 100, concurrency: cores })
      const scrapes: number[] = []
      for (let repeat = 0; repeat < s.scrapes; repeat++) scrapes.push(await timeGet(`${service.url}/metrics`))
      const paired = medianPair(processes, threads)
      log(`  start-up ×${cores}: threads ${median(threads).toFixed(0)} ms, processes ${median(processes).toFixed(0)} ms; /metrics ${median(scrapes).toFixed(1)} ms`)
      const measures: Measure[] = [{
        id: 'X.startup',
        name: `start-up of ${cores} processes vs ${cores} threads (a job's startupMs, compiled service)`,
        unit: 'ms',
        ours: paired.ours,
        anchor: paired.anchor,
        anchorName: 'threads',
        ratio: paired.ratio,
        detail: { repeats: s.repeats, threadsMinMs: Math.min(...threads), processesMinMs: Math.min(...processes), pairRatios: roundRatios(paired, 2) }
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
