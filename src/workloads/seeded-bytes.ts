import { createCipheriv, createHash } from 'node:crypto'

/**
 * The job's input data: `bytes` bytes of an AES-128-CTR keystream keyed by the seed. It is deterministic (a test
 * can rebuild it), fast to make (GB/s, so making it never dominates what is measured) and incompressible.
 *
 * Memory: it is made in 64-KiB steps straight into its buffer, so making `bytes` holds `bytes` + 64 KiB (not the
 * 3 × of a keystream, its input and their concatenation). The main thread makes it once per job into shared memory
 * (`seededShared`, in the workload's prepare): the job's threads and the pool's threads all read that one copy. A
 * child process cannot share it and makes its own (`seededBytes`, the last two kept per process).
 */
const STEP = 64 * 1024
const zeros = Buffer.alloc(STEP)

function fillSeeded (target: Uint8Array, seed: number): void {
  const key = createHash('sha256').update(`concurrency-lab:${seed}`).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  for (let offset = 0; offset < target.length; offset += STEP) {
    const length = Math.min(STEP, target.length - offset)
    target.set(cipher.update(length === STEP ? zeros : zeros.subarray(0, length)), offset)
  }
}

interface Cached<T> { seed: number, bytes: number, data: T }

/** The last two made, by (seed, bytes): every task of a job (and every GET /work with the same params) uses the same data. */
function lastTwo<T> (make: (seed: number, bytes: number) => T) {
  const cache: Array<Cached<T>> = []
  return (seed: number, bytes: number): T => {
    const hit = cache.find((entry) => entry.seed === seed && entry.bytes === bytes)
    if (hit) return hit.data
    const data = make(seed, bytes)
    cache.unshift({ seed, bytes, data })
    cache.length = Math.min(cache.length, 2)
    return data
  }
}

/** The data in this thread's own memory (a child process, or where no shared copy was made). */
export const seededBytes = lastTwo((seed, bytes) => {
  const data = Buffer.allocUnsafe(bytes)
  fillSeeded(data, seed)
  return data
})

/** The data in shared memory, made on the main thread in a workload's prepare: one copy for every thread of the job. */
export const seededShared = lastTwo((seed, bytes) => {
  const shared = new SharedArrayBuffer(bytes)
  fillSeeded(new Uint8Array(shared), seed)
  return shared
})

/** What a workload's prepare puts in `shared` for its tasks to find the data in. */
export interface SeededShared { data?: SharedArrayBuffer }

/** The task's data: the job's shared copy when there is one of that size (not in a child process), else its own. */
export function seededData (shared: unknown, seed: number, bytes: number): Buffer {
  const data = (shared as SeededShared | undefined)?.data
  return data instanceof SharedArrayBuffer && data.byteLength === bytes ? Buffer.from(data) : seededBytes(seed, bytes)
}

/** 16 bytes naming one task (seed, index): what makes each task's input and file unique. */
export function taskHeader (seed: number, index: number): Buffer {
  const header = Buffer.alloc(16)
  header.writeBigUInt64LE(BigInt(seed), 0)
  header.writeBigUInt64LE(BigInt(index), 8)
  return header
}

/**
 * Copies of a job's seeded data: the main thread's shared one, plus one per child process (they cannot share it,
 * and keep their last two).
 */
export function seededCopies ({ workers, sharesMemory }: { workers: number, sharesMemory: boolean }): number {
  return sharesMemory ? 1 : 1 + workers
}
