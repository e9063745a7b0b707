/**
 * autocannon, awaited, on loopback only: a closed loop (each connection sends its next request when the previous one
 * is answered), for throughput. Latency at a fixed arrival rate is bench/open-loop.ts's job (PITFALLS: autocannon's
 * rate option is neither open-loop nor correctly corrected).
 */
import autocannon from 'autocannon'

export interface LoadOptions {
  url: string
  connections: number
  durationSec: number
  pipelining?: number
}

export interface LoadResult {
  requestsPerSec: number
  requests: number
  errors: number
  non2xx: number
  latencyP50Ms: number
  latencyP99Ms: number
  latencyMaxMs: number
}

export async function load (options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url)
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') throw new Error(`load only on loopback, not ${target.hostname}`)
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSec,
    pipelining: options.pipelining ?? 1
  })
  return {
    requestsPerSec: result.requests.total / options.durationSec,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max
  }
}
