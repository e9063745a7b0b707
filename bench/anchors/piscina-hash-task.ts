/** The bare piscina anchor's worker: the service's own hash task function, called directly (no engine around it). */
import { hashTask } from '../../src/workloads/hash.js'
import type { HashParams } from '../../src/workloads/params/hash.js'
import { gilFor } from '../../src/sync/gil.js'

const gil = gilFor(undefined)

export default function run ({ params, seed, index }: { params: HashParams, seed: number, index: number }): string {
  return String(hashTask(params, { index, seed, shared: undefined, upstreamUrl: '', gil }).value)
}
