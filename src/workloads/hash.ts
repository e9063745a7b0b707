import { createHash } from 'node:crypto'
import { Type, type Static } from 'typebox'
import type { Config } from '../config.js'
import { StringEnum } from '../schema-helpers.js'
import { seededBytes, taskHeader } from './seeded-bytes.js'
import type { TaskContext, TaskResult, Workload } from './workload.js'

export const HASH_ALGORITHMS = ['sha256', 'sha512', 'sha1', 'md5', 'sha3-256', 'blake2b512'] as const

export function hashParamsSchema (config: Config) {
  return Type.Object({
    algorithm: StringEnum(HASH_ALGORITHMS, { default: 'sha256', description: 'hash function' }),
    bytes: Type.Integer({ minimum: 1, maximum: config.MAX_HASH_BYTES, default: 1024, description: 'bytes hashed per round (MAX_HASH_BYTES)' }),
    rounds: Type.Integer({ minimum: 1, maximum: config.MAX_HASH_ROUNDS, default: 100, description: 'chained rounds per task (MAX_HASH_ROUNDS)' })
  }, { additionalProperties: false })
}

export type HashParams = Static<ReturnType<typeof hashParamsSchema>>

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
  }
  return { value: digest.toString('hex') }
}

export const hashWorkload: Workload<HashParams> = {
  name: 'hash',
  summary: 'CPU-bound: chained hashing of seeded data; returns the final digest',
  paramsSchema: hashParamsSchema,
  task: hashTask
}
