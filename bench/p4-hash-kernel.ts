/**
 * P4 hash kernel: the hash workload's MB/s on one core (an inline job: the event loop's one thread) vs
 * `openssl speed -evp sha256 -bytes 1048576` on one core. MB = 10⁶ bytes, as openssl counts.
 */
import type { Benchmark } from './benchmark.js'
import { median, pairedRatio } from './benchmark.js'
import { opensslSpeed } from './anchors/openssl-speed.js'
import { runJob } from './service-client.js'
import { startService } from './service-process.js'

const BLOCK = 1024 * 1024

export const p4: Benchmark = {
  id: 'P4',
  title: 'hash kernel vs openssl speed',
  async run ({ quick, log }) {
    const rounds = 4
    const tasks = quick ? 20 : 500
    const seconds = quick ? 1 : 3
    const repeats = quick ? 1 : 3
    const params = { algorithm: 'sha256', bytes: BLOCK, rounds }
    const service = await startService()
    try {
      await runJob(service.url, { workload: 'hash', mode: 'inline', tasks: 10, params })
      const ours: number[] = []
      const openssl: number[] = []
      for (let repeat = 0; repeat < repeats; repeat++) {
        openssl.push(await opensslSpeed('sha256', BLOCK, seconds) / 1e6)
        const report = await runJob(service.url, { workload: 'hash', mode: 'inline', tasks, params })
        ours.push(tasks * rounds * BLOCK / (report.wallMs / 1000) / 1e6)
        log(`  round ${repeat + 1}: openssl ${openssl.at(-1)!.toFixed(0)} MB/s, hash workload ${ours.at(-1)!.toFixed(0)} MB/s`)
      }
      return [{
        id: 'P4',
        name: 'hash workload MB/s on one core (sha256, 1 MiB blocks)',
        unit: 'MB/s',
        ours: median(ours),
        anchor: median(openssl),
        anchorName: 'openssl speed',
        ratio: pairedRatio(ours, openssl),
        target: { op: '>=', value: 0.95 },
        detail: { tasks, roundsPerTask: rounds, opensslSeconds: seconds }
      }]
    } finally {
      await service.stop()
    }
  }
}
