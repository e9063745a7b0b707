/** Every benchmark, in the order `npm run bench` runs them. */
import type { Benchmark } from './benchmark.js'
import { p1 } from './p1-http-overhead.js'
import { p2 } from './p2-pool-dispatch.js'

export const benchmarks: Benchmark[] = [p1, p2]
