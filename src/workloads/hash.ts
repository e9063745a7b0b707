import { createHash } from 'node:crypto'
import type { HashParams } from './params/hash.js'
import { seededBytes, taskHeader } from './seeded-bytes.js'
import type { TaskContext, TaskResult } from './workload.js'

/**
 * CPU-bound: `rounds` chained hashes over the job's seeded data.
 *   digest₀ = H(taskHeader(seed, index) ‖ data), digestᵣ = H(digestᵣ₋₁ ‖ data)
 * Each round hashes `bytes` + a few bytes; the final digest (hex) is the result, so anyone can check it.
 */
export function hashTask (params: HashParams, context: TaskContext): TaskResult {
  const data = seededBytes(context.seed, params.bytes)
  let digest = taskHeader(context.seed, context.index)
  for (let round = 0; round < params.rounds; round++) {
    digest = createHash(params.algorithm).update(digest).update(data).digest()
    context.gil.tick()
  }
  return { value: digest.toString('hex') }
}
