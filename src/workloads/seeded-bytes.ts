import { createCipheriv, createHash } from 'node:crypto'

/**
 * The job's input data: `bytes` bytes of an AES-128-CTR keystream keyed by the seed. It is deterministic (a test
 * can rebuild it), fast to make (GB/s, so making it never dominates what is measured) and incompressible.
 * The last two buffers made are cached per thread, because every task of a job uses the same data.
 */
const cache: Array<{ seed: number, bytes: number, data: Buffer }> = []

export function seededBytes (seed: number, bytes: number): Buffer {
  const hit = cache.find((entry) => entry.seed === seed && entry.bytes === bytes)
  if (hit) return hit.data
  const key = createHash('sha256').update(`concurrency-lab:${seed}`).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  const data = Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()])
  cache.unshift({ seed, bytes, data })
  cache.length = Math.min(cache.length, 2)
  return data
}

/** 16 bytes naming one task (seed, index): what makes each task's input and file unique. */
export function taskHeader (seed: number, index: number): Buffer {
  const header = Buffer.alloc(16)
  header.writeBigUInt64LE(BigInt(seed), 0)
  header.writeBigUInt64LE(BigInt(index), 8)
  return header
}
