/** Every benchmark, in the order `npm run bench` runs them. */
import type { Benchmark } from './benchmark.js'
import { p1 } from './p1-http-overhead.js'
import { p2 } from './p2-pool-dispatch.js'
import { p3 } from './p3-cpu-scaling.js'
import { p4 } from './p4-hash-kernel.js'
import { p5 } from './p5-io-concurrency.js'
import { p6 } from './p6-responsiveness.js'
import { p7 } from './p7-memory.js'
import { p8 } from './p8-cluster.js'
import { x } from './x-startup-scrape.js'

export const benchmarks: Benchmark[] = [p1, p2, p3, p4, p5, p6, p7, p8, x]
