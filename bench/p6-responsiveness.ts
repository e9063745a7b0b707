/**
 * P6 responsiveness: GET /healthz at a fixed arrival rate (open loop, bench/open-loop.ts: latency from each request's
 * due time, as wrk2 measures) while the service is idle, while a pool CPU job keeps every core busy, and while the
 * same job runs inline on the event loop. Each round runs the three in alternating order (idle, pool, inline; then
 * inline, pool, idle); the ratio is busy p99 ÷ the same round's idle p99, and the median round is kept. Target:
 * pool ≤ 3; the inline stall is reported (it is the lesson). Latencies in µs, so an idle p99 is never 0.
 */
import { getPriority, setPriority } from 'node:os'
import type { Benchmark, Definition, Measure, Target } from './benchmark.js'
import { describeTarget, inAlternatingOrder, medianPair, roundRatios } from './benchmark.js'
import { openLoop, type OpenLoopResult } from './open-loop.js'
import { cancelJob, startRunningJob } from './service-client.js'
import { startService } from './service-process.js'

const TARGET: Target = { op: '<=', value: 3 }

function settings (quick: boolean) {
  return {
    rate: 200,
    durationSec: quick ? 1 : 4,
    connections: 10,
    rounds: quick ? 1 : 3,
    warmUpSec: 1,
    // Far more work than the load lasts; cancelled once the measurement is done. 1 MiB × 2 ≈ 1.4 ms a task.
    job: { workload: 'hash', tasks: 1_000_000, params: { bytes: 1024 * 1024, rounds: 2 } }
  }
}

/**
 * The load's own timers must not be what is measured: with every core busy, this process would wait for a core like
 * the service's threads do and send late. So it runs at a higher priority while it measures (nice −10 where the OS
 * allows it; its send lag is reported beside each result either way).
 */
function raisePriority (): { description: string, restore: () => void } {
  const before = getPriority()
  try {
    setPriority(-10)
    return { description: 'load at nice -10', restore: () => setPriority(before) }
  } catch {
    return { description: `load at nice ${before} (raising it was not allowed)`, restore: () => {} }
  }
}

const CONDITIONS = ['idle', 'pool', 'inline'] as const
type Condition = typeof CONDITIONS[number]

export const p6: Benchmark = {
  id: 'P6',
  title: 'responsiveness of /healthz under CPU load',
  definitions (): Definition[] {
    const s = settings(false)
    const load = `open loop at ${s.rate} req/s for ${s.durationSec} s (≤ ${s.connections} in flight), latency from each request's due time, in µs`
    return [{
      id: 'P6',
      what: `\`/healthz\` p99 while a pool hash job (1 MiB × 2 per task) keeps every core busy, and while the same job runs inline; ${load}; ${s.rounds} rounds, idle/pool/inline in alternating order; median round`,
      anchor: '`/healthz` p99 idle, same round',
      target: `pool: ${describeTarget(TARGET)}`
    }]
  },
  async run ({ quick, cores, log }) {
    const s = settings(quick)
    const service = await startService({ POOL_SIZE: String(cores) })
    const url = `${service.url}/healthz`
    const healthz = async (): Promise<OpenLoopResult> => {
      const result = await openLoop({ url, rate: s.rate, durationSec: s.durationSec, connections: s.connections })
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`/healthz: ${result.errors} errors, ${result.non2xx} non-2xx of ${result.scheduled}`)
      return result
    }
    const underJob = async (mode: string): Promise<OpenLoopResult> => {
      const id = await startRunningJob(service.url, { ...s.job, mode, concurrency: mode === 'inline' ? 1 : cores })
      try {
        return await healthz()
      } finally {
        await cancelJob(service.url, id)
      }
    }
    const priority = raisePriority()
    try {
      await openLoop({ url, rate: 1000, durationSec: s.warmUpSec, connections: s.connections }) // warm-up
      const results: Record<Condition, OpenLoopResult[]> = { idle: [], pool: [], inline: [] }
      for (let round = 0; round < s.rounds; round++) {
        await inAlternatingOrder(round, CONDITIONS.map((condition) => async () => {
          results[condition].push(condition === 'idle' ? await healthz() : await underJob(condition))
        }))
        const ms = (us: number) => (us / 1000).toFixed(2)
        log(`  round ${round + 1}: /healthz p99 ${CONDITIONS.map((condition) => {
          const result = results[condition].at(-1)!
          return `${condition} ${ms(result.latencyUs.p99)} ms (p50 ${ms(result.latencyUs.p50)}; ${result.waitedForConnection} waited for a connection; client timer lag p99 ${ms(result.timerLagUs.p99)} ms)`
        }).join('; ')}`)
      }
      const p99 = (condition: Condition) => results[condition].map((result) => result.latencyUs.p99)
      const measure = (condition: 'pool' | 'inline'): Measure => {
        const paired = medianPair(p99(condition), p99('idle'))
        const busy = results[condition][paired.round]!
        const idle = results.idle[paired.round]!
        return {
          id: `P6.${condition}`,
          name: `/healthz p99 at ${s.rate} req/s (open loop) during ${condition === 'inline' ? 'an' : 'a'} ${condition} CPU job ÷ idle p99`,
          unit: 'µs',
          ours: paired.ours,
          anchor: paired.anchor,
          anchorName: 'idle',
          ratio: paired.ratio,
          ...(condition === 'pool' ? { target: TARGET } : {}),
          detail: {
            p50Us: busy.latencyUs.p50,
            maxUs: busy.latencyUs.max,
            idleP50Us: idle.latencyUs.p50,
            achievedRate: busy.achievedRate,
            waitedForConnection: `${busy.waitedForConnection} of ${busy.scheduled}`,
            clientTimerLagP99Us: busy.timerLagUs.p99,
            client: priority.description,
            roundRatios: roundRatios(paired, 2)
          }
        }
      }
      return [measure('pool'), measure('inline')]
    } finally {
      priority.restore()
      await service.stop()
    }
  }
}
