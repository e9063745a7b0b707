import { createHash } from 'node:crypto'
import type { HashParams } from './params/hash.js'
import type { MemoryContext, MemoryEstimate } from '../jobs/memory-budget.js'
import { seededCopies, seededData, seededShared, taskHeader, type SeededShared } from './seeded-bytes.js'
import type { PrepareContext, PreparedJob, TaskContext, TaskInputSource, TaskResult } from './workload.js'

/**
 * CPython's hashlib releases the GIL while it hashes an update() of at least this many bytes (HASHLIB_GIL_MINSIZE,
 * Modules/hashlib.h): a smaller update holds it, as pure-Python code does.
 */
export const HASHLIB_GIL_MINSIZE = 2048

/**
 * CPU-bound: `rounds` chained hashes over the job's data.
 *   digest₀ = H(taskHeader(seed, index) ‖ data), digestᵣ = H(digestᵣ₋₁ ‖ data)
 * Each round hashes `bytes` + a few bytes; the final digest (hex) is the result, so anyone can check it.
 *
 * The data is the job's seeded bytes either way: made where the task runs (shared memory, or a child's own copy),
 * or, with `input: 'shipped'`, made by the sender and sent with the task (`context.input`). The digest is the same.
 *
 * Under the job's GIL a round holds the lock (pure-Python CPU work: threads take turns) unless `releaseGil` asks
 * for hashlib's behaviour: the data's update runs without the lock when it is ≥ HASHLIB_GIL_MINSIZE bytes, so
 * threads hash in parallel and take the lock only between rounds.
 */
export function hashTask (params: HashParams, context: TaskContext): TaskResult {
  const data = context.input ? Buffer.from(context.input.buffer, context.input.byteOffset, context.input.byteLength) : seededData(context.shared, context.seed, params.bytes)
  const dropsGil = params.releaseGil && data.length >= HASHLIB_GIL_MINSIZE
  let digest = taskHeader(context.seed, context.index)
  for (let round = 0; round < params.rounds; round++) {
    const hash = createHash(params.algorithm).update(digest)
    digest = (dropsGil ? context.gil.blocking(() => hash.update(data)) : hash.update(data)).digest()
    context.gil.tick()
  }
  return { value: digest.toString('hex') }
}

/** The job's data, made once on the main thread in shared memory: every thread of the job hashes the same copy. */
export async function prepareHashJob (params: HashParams, { seed }: PrepareContext): Promise<PreparedJob> {
  const shared: SeededShared = { data: seededShared(seed, params.bytes) }
  return { shared, cleanup: async () => {} }
}

/** `input: 'shipped'`: each task carries `bytes` of input from its sender. */
export function hashShippedBytes (params: HashParams): number | undefined {
  return params.input === 'shipped' ? params.bytes : undefined
}

/**
 * On the sending side, one task's input: a fresh copy of the job's data in memory of its own (not shared, and not
 * a view into a bigger buffer, which structured clone would send whole), as pickle makes a new bytes object for
 * each task's arguments. The copy is made from the job's shared data (a memcpy: the sending cost is the copy and the
 * channel, not the making of the data).
 */
export function hashTaskInput (params: HashParams, { seed, shared }: TaskInputSource): Uint8Array {
  return new Uint8Array(seededData(shared, seed, params.bytes))
}

/**
 * Its data: `bytes` once for threads and the pool, plus once per child process (a child with shipped input makes
 * its copy only for warm-up tasks, which hash the seeded data). Shipped input adds the copies in flight: each
 * dispatch's tasks held by the sender and by the receiver, for every dispatch a lane may hold.
 */
export function hashMemory (params: HashParams, context: MemoryContext, at: string): MemoryEstimate {
  const copies = seededCopies(context)
  const seeded = { bytes: params.bytes * copies, formula: `${at}/bytes × ${copies} ${copies === 1 ? 'shared copy' : 'copies (one shared, one per process)'}` }
  if (params.input !== 'shipped') return seeded
  const inFlight = 2 * context.concurrency * context.dispatchesHeld * context.tasksPerDispatch
  return {
    bytes: seeded.bytes + params.bytes * inFlight,
    formula: `${seeded.formula}, plus ${at}/bytes × ${inFlight} shipped in flight (2 sides × ${context.concurrency} concurrency × ${context.dispatchesHeld} ${context.dispatchesHeld === 1 ? 'dispatch' : 'dispatches'} held × ${context.tasksPerDispatch} per dispatch)`
  }
}
