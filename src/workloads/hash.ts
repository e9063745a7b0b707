import { createHash } from 'node:crypto'
import type { HashParams } from './params/hash.js'
import type { MemoryContext, MemoryEstimate } from '../jobs/memory-budget.js'
import { seededCopies, seededData, seededShared, taskHeader, type SeededShared } from './seeded-bytes.js'
import type { PrepareContext, PreparedJob, TaskContext, TaskResult } from './workload.js'

/**
 * CPU-bound: `rounds` chained hashes over the job's seeded data.
 *   digest₀ = H(taskHeader(seed, index) ‖ data), digestᵣ = H(digestᵣ₋₁ ‖ data)
 * Each round hashes `bytes` + a few bytes; the final digest (hex) is the result, so anyone can check it.
 */
export function hashTask (params: HashParams, context: TaskContext): TaskResult {
  const data = seededData(context.shared, context.seed, params.bytes)
  let digest = taskHeader(context.seed, context.index)
  for (let round = 0; round < params.rounds; round++) {
    digest = createHash(params.algorithm).update(digest).update(data).digest()
    context.gil.tick()
  }
  return { value: digest.toString('hex') }
}

/** The job's data, made once on the main thread in shared memory: every thread of the job hashes the same copy. */
export async function prepareHashJob (params: HashParams, { seed }: PrepareContext): Promise<PreparedJob> {
  const shared: SeededShared = { data: seededShared(seed, params.bytes) }
  return { shared, cleanup: async () => {} }
}

/** Its data: `bytes` once for threads and the pool, plus once per child process. */
export function hashMemory (params: HashParams, context: MemoryContext, at: string): MemoryEstimate {
  const copies = seededCopies(context)
  return { bytes: params.bytes * copies, formula: `${at}/bytes × ${copies} ${copies === 1 ? 'shared copy' : 'copies (one shared, one per process)'}` }
}
