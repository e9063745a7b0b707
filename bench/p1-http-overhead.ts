/**
 * P1 HTTP overhead: GET /healthz of the service (metrics, hooks, logger as shipped) vs a bare Fastify hello world,
 * same autocannon settings, both servers on one core and autocannon on another. Many short slices in pairs, the
 * order alternating within each pair (bare, ours; ours, bare: ABBA), so that drift on a shared machine hits both;
 * the ratio is taken within each pair and the median pair is kept, with its own two rates.
 */
import type { Benchmark, Definition, Target } from './benchmark.js'
import { describeTarget, inAlternatingOrder, medianPair, roundRatios } from './benchmark.js'
import { load } from './http-load.js'
import { pinLoadAwayFromServer } from './cpu-pinning.js'
import { startServer, startService } from './service-process.js'

const TARGET: Target = { op: '>=', value: 0.9 }

function settings (quick: boolean) {
  return {
    connections: 10,
    pipelining: 1,
    durationSec: quick ? 1 : 2,
    warmUpSec: quick ? 0.5 : 2,
    // Many short pairs rather than a few long runs: this VM's speed drifts by up to 2× over tens of seconds, and a
    // ratio taken within each pair cancels that drift.
    pairs: quick ? 1 : 9
  }
}

export const p1: Benchmark = {
  id: 'P1',
  title: 'HTTP overhead: /healthz vs bare Fastify',
  definitions (): Definition[] {
    const s = settings(false)
    return [{
      id: 'P1',
      what: `\`GET /healthz\` req/s with metrics on and probe logging as configured (the service's defaults), autocannon ${s.connections} connections, pipelining ${s.pipelining}; ${s.pairs} pairs of ${s.durationSec}-s slices (ABBA) after a ${s.warmUpSec}-s warm-up of each; servers on CPU 0, autocannon on the last CPU (\`taskset\`); median pair`,
      anchor: 'a bare Fastify hello world (no logger, no hooks), same settings, paired slices',
      target: describeTarget(TARGET)
    }]
  },
  async run ({ quick, log }) {
    const s = settings(quick)
    const options = { connections: s.connections, pipelining: s.pipelining, durationSec: s.durationSec }
    const pinning = pinLoadAwayFromServer()
    const cpus = pinning.serverCpus === undefined ? {} : { cpus: pinning.serverCpus }
    const bare = await startServer(new URL('./anchors/bare-fastify.js', import.meta.url), cpus)
    const service = await startService({}, [], pinning.serverCpus)
    try {
      const bareUrl = `${bare.url}/`
      const ourUrl = `${service.url}/healthz`
      const measure = async (url: string) => {
        const result = await load({ ...options, url })
        if (result.errors > 0 || result.non2xx > 0) throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`)
        return result.requestsPerSec
      }
      await load({ ...options, url: bareUrl, durationSec: s.warmUpSec })
      await load({ ...options, url: ourUrl, durationSec: s.warmUpSec })
      const bareRates: number[] = []
      const ourRates: number[] = []
      for (let pair = 0; pair < s.pairs; pair++) {
        await inAlternatingOrder(pair, [
          async () => { bareRates.push(await measure(bareUrl)) },
          async () => { ourRates.push(await measure(ourUrl)) }
        ])
      }
      log(`  bare ${bareRates.map((rate) => rate.toFixed(0)).join(' ')} req/s`)
      log(`  ours ${ourRates.map((rate) => rate.toFixed(0)).join(' ')} req/s`)
      const paired = medianPair(ourRates, bareRates)
      return [{
        id: 'P1',
        name: 'GET /healthz req/s (metrics on) vs bare Fastify hello world',
        unit: 'req/s',
        ours: paired.ours,
        anchor: paired.anchor,
        anchorName: 'bare Fastify',
        ratio: paired.ratio,
        target: TARGET,
        detail: {
          connections: s.connections,
          pipelining: s.pipelining,
          durationSec: s.durationSec,
          pairs: s.pairs,
          pairRatios: roundRatios(paired, 2),
          pinning: pinning.description
        }
      }]
    } finally {
      pinning.release()
      await Promise.all([bare.stop(), service.stop()])
    }
  }
}
