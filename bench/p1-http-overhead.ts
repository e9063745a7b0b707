/**
 * P1 HTTP overhead: GET /healthz of the service (metrics, hooks, logger as shipped) vs a bare Fastify hello world,
 * same autocannon settings, both servers on one core and autocannon on another. Runs alternate (bare, ours, bare,
 * ours…) so that drift on a shared machine hits both; the median of the rounds is kept.
 */
import type { Benchmark } from './benchmark.js'
import { median } from './benchmark.js'
import { load, type LoadOptions } from './http-load.js'
import { pinLoadAwayFromServer } from './cpu-pinning.js'
import { startServer, startService } from './service-process.js'

export const p1: Benchmark = {
  id: 'P1',
  title: 'HTTP overhead: /healthz vs bare Fastify',
  async run ({ quick, log }) {
    const settings = { connections: 10, pipelining: 1, durationSec: quick ? 1 : 4 }
    const warmUpSec = quick ? 0.5 : 1
    const rounds = quick ? 1 : 5
    const pinning = pinLoadAwayFromServer()
    const cpus = pinning.serverCpus === undefined ? {} : { cpus: pinning.serverCpus }
    const bare = await startServer(new URL('./anchors/bare-fastify.js', import.meta.url), cpus)
    const service = await startService({}, [], pinning.serverCpus)
    try {
      const bareRates: number[] = []
      const ourRates: number[] = []
      const measure = async (options: Omit<LoadOptions, 'connections' | 'durationSec'>) => {
        await load({ ...settings, ...options, durationSec: warmUpSec })
        const result = await load({ ...settings, ...options })
        if (result.errors > 0 || result.non2xx > 0) throw new Error(`${options.url}: ${result.errors} errors, ${result.non2xx} non-2xx`)
        return result.requestsPerSec
      }
      for (let round = 0; round < rounds; round++) {
        bareRates.push(await measure({ url: `${bare.url}/` }))
        ourRates.push(await measure({ url: `${service.url}/healthz` }))
        log(`  round ${round + 1}: bare ${bareRates.at(-1)!.toFixed(0)} req/s, /healthz ${ourRates.at(-1)!.toFixed(0)} req/s`)
      }
      const ours = median(ourRates)
      const anchor = median(bareRates)
      return [{
        id: 'P1',
        name: 'GET /healthz req/s (metrics on) vs bare Fastify hello world',
        unit: 'req/s',
        ours,
        anchor,
        anchorName: 'bare Fastify',
        ratio: ours / anchor,
        target: { op: '>=', value: 0.9 },
        detail: {
          connections: settings.connections,
          pipelining: settings.pipelining,
          durationSec: settings.durationSec,
          rounds,
          roundRatios: ourRates.map((rate, round) => (rate / bareRates[round]!).toFixed(2)).join(' '),
          pinning: pinning.description
        }
      }]
    } finally {
      pinning.release()
      await Promise.all([bare.stop(), service.stop()])
    }
  }
}
