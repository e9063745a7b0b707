import { createCipheriv, createHash } from 'node:crypto'

/**
 * The hash workload's digest for one task, rebuilt from its documented definition, independently of the service:
 *   data = AES-128-CTR keystream (key = sha256("concurrency-lab:<seed>")[0..16], IV 0), `bytes` long
 *   digest₀ = H(le64(seed) ‖ le64(index) ‖ data), digestᵣ = H(digestᵣ₋₁ ‖ data)
 */
export function expectedDigest (seed: number, index: number, algorithm: string, bytes: number, rounds: number): string {
  const key = createHash('sha256').update(`concurrency-lab:${seed}`).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  const data = Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()])
  let digest = Buffer.alloc(16)
  digest.writeBigUInt64LE(BigInt(seed), 0)
  digest.writeBigUInt64LE(BigInt(index), 8)
  for (let round = 0; round < rounds; round++) digest = createHash(algorithm).update(digest).update(data).digest()
  return digest.toString('hex')
}
