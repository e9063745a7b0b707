import type { LoadRequest } from './load-driver.js'

/*
 * The requests the load tests send: small jobs of every mode and workload, the labs, a compare experiment and the
 * single-task /work routes. Each is small (tens of milliseconds of work) so that a test of a minute sees thousands
 * of them; what loads the service is how many arrive at once.
 */

export const MODES = ['inline', 'async', 'threads', 'pool', 'processes'] as const
export const WORKLOADS = ['hash', 'db', 'net', 'file'] as const

const PARAMS: Record<typeof WORKLOADS[number], Record<string, unknown>> = {
  hash: { bytes: 4096, rounds: 10 },
  db: { latencyMs: 2 },
  net: { latencyMs: 2, bytes: 256 },
  file: { bytes: 4096 }
}

/** A small job: `n` picks its mode and workload, so consecutive n cover all 20 combinations. */
export function jobSpec (n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const mode = MODES[n % MODES.length]!
  const workload = WORKLOADS[Math.floor(n / MODES.length) % WORKLOADS.length]!
  return { workload, mode, tasks: 20, concurrency: mode === 'inline' ? 1 : 2, params: PARAMS[workload], seed: n, ...overrides }
}

export function submitJob (n: number, wait = false, overrides: Record<string, unknown> = {}): LoadRequest {
  return { route: wait ? 'POST /jobs?wait=true' : 'POST /jobs', method: 'POST', path: wait ? '/jobs?wait=true' : '/jobs', body: jobSpec(n, overrides) }
}

export const LAB_REQUESTS: readonly LoadRequest[] = [
  { route: 'POST /labs/race', method: 'POST', path: '/labs/race', body: { workers: 2, increments: 20_000 } },
  { route: 'POST /labs/deadlock', method: 'POST', path: '/labs/deadlock', body: { workers: 2, holdMs: 5, watchdogMs: 50 } },
  { route: 'POST /labs/producer-consumer', method: 'POST', path: '/labs/producer-consumer', body: { messages: 2000 } }
]

export const COMPARE_REQUEST: LoadRequest = {
  route: 'POST /experiments/compare',
  method: 'POST',
  path: '/experiments/compare',
  body: { workload: 'hash', tasks: 20, params: { bytes: 1024, rounds: 10 }, modes: ['inline', 'pool'], concurrency: [1, 2] }
}

/** One task per request in every single-task mode and workload (inline, async, pool). */
export const WORK_REQUESTS: readonly LoadRequest[] = [
  '/work/hash?mode=pool&bytes=4096&rounds=20',
  '/work/hash?mode=inline&bytes=1024&rounds=5',
  '/work/db?mode=async&latencyMs=5',
  '/work/db?mode=pool&latencyMs=2',
  '/work/net?mode=async&latencyMs=2&bytes=256',
  '/work/file?mode=async&bytes=4096',
  '/work/file?mode=pool&bytes=4096'
].map((path) => ({ route: `GET ${path.split('?')[0]!}`, method: 'GET' as const, path }))
