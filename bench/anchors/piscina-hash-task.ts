/**
 * The bare piscina anchor's worker: the service's own hash task function, called directly (no engine around it),
 * for one index or, batched, for each of `indices` in turn (as a pool thread runs a batch).
 */
import { hashTask } from '../../src/workloads/hash.js'
import type { HashParams } from '../../src/workloads/params/hash.js'
import { gilFor } from '../../src/sync/gil.js'

const gil = gilFor(undefined)

const one = (params: HashParams, seed: number, index: number) => String(hashTask(params, { index, seed, shared: undefined, upstreamUrl: '', latencyCapMs: 0, gil }).value)

export default function run ({ params, seed, index, indices }: { params: HashParams, seed: number, index?: number, indices?: number[] }): string | string[] {
  return indices ? indices.map((each) => one(params, seed, each)) : one(params, seed, index!)
}
