/**
 * P1 HTTP overhead: GET /healthz of the service (metrics, hooks, logger as shipped) vs a bare Fastify hello world,
 * same autocannon settings, both servers on one core and autocannon on another. Many short slices in pairs, the
 * order alternating within each pair (bare, ours; ours, bare: ABBA), so that drift on a shared machine hits both;
 * the ratio is taken within each pair and the median pair is kept, with its own two rates. Two things this machine
 * showed are guarded against (bench/ab-http.ts measured them):
 *   - the server not being measured is stopped (SIGSTOP) during the other's slice: an idle service still wakes every
 *     10 ms (its samplers), and on the shared core that slowed the bare server, in the service's favour;
 *   - one process can run several percent faster or slower than another of the same build for its whole life (two
 *     bare servers differed by 5 %, two services by 20 %): the pairs are spread over sessions, each with both
 *     servers started afresh.
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
    sessions: quick ? 1 : 3,
    pairsPerSession: quick ? 1 : 3
  }
}

export const p1: Benchmark = {
  id: 'P1',
  title: 'HTTP overhead: /healthz vs bare Fastify',
  definitions (): Definition[] {
    const s = settings(false)
    return [{
      id: 'P1',
      what: `\`GET /healthz\` req/s with metrics on and probe logging as configured (the service's defaults), autocannon ${s.connections} connections, pipelining ${s.pipelining}; ${s.sessions} sessions (both servers started afresh) × ${s.pairsPerSession} pairs of ${s.durationSec}-s slices (ABBA) after a ${s.warmUpSec}-s warm-up of each, the idle server stopped (SIGSTOP) during the other's slice; servers on CPU 0, autocannon on the last CPU (\`taskset\`); median pair`,
      anchor: 'a bare Fastify hello world (no logger, no hooks), same settings, paired slices',
      target: describeTarget(TARGET)
    }]
  },
  async run ({ quick, log }) {
    const s = settings(quick)
    const options = { connections: s.connections, pipelining: s.pipelining, durationSec: s.durationSec }
    const pinning = pinLoadAwayFromServer()
    const cpus = pinning.serverCpus === undefined ? {} : { cpus: pinning.serverCpus }
    const bareRates: number[] = []
    const ourRates: number[] = []
    try {
      for (let session = 0; session < s.sessions; session++) {
        const bare = await startServer(new URL('./anchors/bare-fastify.js', import.meta.url), cpus)
        const service = await startService({}, [], pinning.serverCpus)
        try {
          const servers = { bare: { server: bare, url: `${bare.url}/` }, ours: { server: service, url: `${service.url}/healthz` } }
          /** load on one server with the other stopped */
          const measure = async (which: 'bare' | 'ours', durationSec = s.durationSec) => {
            const other = which === 'bare' ? servers.ours : servers.bare
            other.server.pause()
            servers[which].server.resume()
            await new Promise((resolve) => setTimeout(resolve, 200)) // the resumed one catches up on its timers
            const result = await load({ ...options, durationSec, url: servers[which].url })
            if (result.errors > 0 || result.non2xx > 0) throw new Error(`${servers[which].url}: ${result.errors} errors, ${result.non2xx} non-2xx`)
            return result.requestsPerSec
          }
          await measure('bare', s.warmUpSec)
          await measure('ours', s.warmUpSec)
          for (let pair = 0; pair < s.pairsPerSession; pair++) {
            await inAlternatingOrder(session * s.pairsPerSession + pair, [
              async () => { bareRates.push(await measure('bare')) },
              async () => { ourRates.push(await measure('ours')) }
            ])
          }
        } finally {
          await Promise.all([bare.stop(), service.stop()])
        }
        log(`  session ${session + 1}: bare ${bareRates.slice(-s.pairsPerSession).map((rate) => rate.toFixed(0)).join(' ')}, ours ${ourRates.slice(-s.pairsPerSession).map((rate) => rate.toFixed(0)).join(' ')} req/s`)
      }
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
          sessions: s.sessions,
          pairs: bareRates.length,
          pairRatios: roundRatios(paired, 2),
          pinning: pinning.description
        }
      }]
    } finally {
      pinning.release()
    }
  }
}
