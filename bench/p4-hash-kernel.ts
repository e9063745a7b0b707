/**
 * P4 hash kernel: the hash workload's MB/s on one core (an inline job: the event loop's one thread, over its wallMs)
 * vs `openssl speed -elapsed` on one core (wall-clock time too). MB = 10⁶ bytes, as openssl counts. Each round runs
 * both, in alternating order (ABBA); the median round is kept, with its own two rates.
 */
import type { Benchmark, Definition, Target } from './benchmark.js'
import { describeTarget, inAlternatingOrder, medianPair, roundRatios } from './benchmark.js'
import { opensslSpeed, opensslSpeedArgs } from './anchors/openssl-speed.js'
import { runJob } from './service-client.js'
import { startService } from './service-process.js'

const BLOCK = 1024 * 1024
const TARGET: Target = { op: '>=', value: 0.95 }

function settings (quick: boolean) {
  return {
    roundsPerTask: 4,
    tasks: quick ? 20 : 500,
    opensslSeconds: quick ? 1 : 3,
    rounds: quick ? 1 : 3
  }
}

export const p4: Benchmark = {
  id: 'P4',
  title: 'hash kernel vs openssl speed',
  definitions (): Definition[] {
    const s = settings(false)
    return [{
      id: 'P4',
      what: `hash workload MB/s on one core: an inline job of ${s.tasks} tasks of sha256 over 1 MiB × ${s.roundsPerTask}, over its \`wallMs\`; ${s.rounds} rounds, alternating with openssl; median round`,
      anchor: `\`openssl ${opensslSpeedArgs('sha256', BLOCK, s.opensslSeconds).join(' ')}\` (wall-clock time)`,
      target: describeTarget(TARGET)
    }]
  },
  async run ({ quick, log }) {
    const s = settings(quick)
    const params = { algorithm: 'sha256', bytes: BLOCK, rounds: s.roundsPerTask }
    const service = await startService()
    try {
      await runJob(service.url, { workload: 'hash', mode: 'inline', tasks: 10, params })
      const ours: number[] = []
      const openssl: number[] = []
      for (let round = 0; round < s.rounds; round++) {
        await inAlternatingOrder(round, [
          async () => { openssl.push(await opensslSpeed('sha256', BLOCK, s.opensslSeconds) / 1e6) },
          async () => {
            const report = await runJob(service.url, { workload: 'hash', mode: 'inline', tasks: s.tasks, params })
            ours.push(report.tasks.done * s.roundsPerTask * BLOCK / (report.wallMs / 1000) / 1e6)
          }
        ])
        log(`  round ${round + 1}: openssl ${openssl.at(-1)!.toFixed(0)} MB/s, hash workload ${ours.at(-1)!.toFixed(0)} MB/s`)
      }
      const paired = medianPair(ours, openssl)
      return [{
        id: 'P4',
        name: 'hash workload MB/s on one core (sha256, 1 MiB blocks) vs openssl speed -elapsed',
        unit: 'MB/s',
        ours: paired.ours,
        anchor: paired.anchor,
        anchorName: 'openssl speed -elapsed',
        ratio: paired.ratio,
        target: TARGET,
        detail: { tasks: s.tasks, roundsPerTask: s.roundsPerTask, opensslSeconds: s.opensslSeconds, rounds: s.rounds, roundRatios: roundRatios(paired) }
      }]
    } finally {
      await service.stop()
    }
  }
}
