/**
 * P1 HTTP overhead: GET /healthz of the service (metrics, hooks, logger as shipped) vs a bare Fastify hello world,
 * same autocannon settings, both servers on one core and autocannon on another. Runs alternate (bare, ours, bare,
 * ours…) so that drift on a shared machine hits both; the median of the rounds is kept.
 */
import type { Benchmark } from './benchmark.js'
import { median } from './benchmark.js'
import { load } from './http-load.js'
import { pinLoadAwayFromServer } from './cpu-pinning.js'
import { startServer, startService } from './service-process.js'

export const p1: Benchmark = {
  id: 'P1',
  title: 'HTTP overhead: /healthz vs bare Fastify',
  async run ({ quick, log }) {
    const settings = { connections: 10, pipelining: 1, durationSec: quick ? 1 : 2 }
    const warmUpSec = quick ? 0.5 : 2
    // Many short pairs rather than a few long runs: this VM's speed drifts by up to 2× over tens of seconds, and a
    // ratio taken within each pair (order alternating, ABBA) cancels that drift; the median pair is kept.
    const pairs = quick ? 1 : 9
    const pinning = pinLoadAwayFromServer()
    const cpus = pinning.serverCpus === undefined ? {} : { cpus: pinning.serverCpus }
    const bare = await startServer(new URL('./anchors/bare-fastify.js', import.meta.url), cpus)
    const service = await startService({}, [], pinning.serverCpus)
    try {
      const bareUrl = `${bare.url}/`
      const ourUrl = `${service.url}/healthz`
      const measure = async (url: string) => {
        const result = await load({ ...settings, url })
        if (result.errors > 0 || result.non2xx > 0) throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`)
        return result.requestsPerSec
      }
      await load({ ...settings, url: bareUrl, durationSec: warmUpSec })
      await load({ ...settings, url: ourUrl, durationSec: warmUpSec })
      const bareRates: number[] = []
      const ourRates: number[] = []
      for (let pair = 0; pair < pairs; pair++) {
        if (pair % 2 === 0) {
          bareRates.push(await measure(bareUrl))
          ourRates.push(await measure(ourUrl))
        } else {
          ourRates.push(await measure(ourUrl))
          bareRates.push(await measure(bareUrl))
        }
      }
      const ratios = ourRates.map((rate, pair) => rate / bareRates[pair]!)
      log(`  bare ${bareRates.map((rate) => rate.toFixed(0)).join(' ')} req/s`)
      log(`  ours ${ourRates.map((rate) => rate.toFixed(0)).join(' ')} req/s`)
      const ours = median(ourRates)
      const anchor = median(bareRates)
      return [{
        id: 'P1',
        name: 'GET /healthz req/s (metrics on) vs bare Fastify hello world',
        unit: 'req/s',
        ours,
        anchor,
        anchorName: 'bare Fastify',
        ratio: median(ratios),
        target: { op: '>=', value: 0.9 },
        detail: {
          connections: settings.connections,
          pipelining: settings.pipelining,
          durationSec: settings.durationSec,
          pairs,
          pairRatios: ratios.map((ratio) => ratio.toFixed(2)).join(' '),
          pinning: pinning.description
        }
      }]
    } finally {
      pinning.release()
      await Promise.all([bare.stop(), service.stop()])
    }
  }
}
