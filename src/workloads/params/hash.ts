import { Type, type Static } from 'typebox'
import type { Config } from '../../config.js'
import type { ParamsCheckContext } from '../workload.js'
import { StringEnum } from '../../schema-helpers.js'

export const HASH_ALGORITHMS = ['sha256', 'sha512', 'sha1', 'md5', 'sha3-256', 'blake2b512'] as const
export const HASH_INPUTS = ['seeded', 'shipped'] as const

export function hashParamsSchema (config: Config) {
  return Type.Object({
    algorithm: StringEnum(HASH_ALGORITHMS, { default: 'sha256', description: 'hash function' }),
    bytes: Type.Integer({ minimum: 1, maximum: config.MAX_HASH_BYTES, default: Math.min(1024, config.MAX_HASH_BYTES), description: 'bytes hashed per round (MAX_HASH_BYTES)' }),
    rounds: Type.Integer({ minimum: 1, maximum: config.MAX_HASH_ROUNDS, default: Math.min(100, config.MAX_HASH_ROUNDS), description: 'chained rounds per task (MAX_HASH_ROUNDS)' }),
    releaseGil: Type.Boolean({ default: false, description: 'needs the job\'s gil: true. false, the default: a task holds the lock while it hashes (it stands for pure-Python CPU work); true: each round\'s hash of bytes >= 2048 runs without it, as CPython\'s hashlib releases the GIL for inputs >= 2 KiB (HASHLIB_GIL_MINSIZE; smaller inputs keep it, as there)' }),
    input: StringEnum(HASH_INPUTS, { default: 'seeded', description: 'seeded, the default: the data is made once per job where it is hashed (shared memory for threads, a copy per child process); shipped: the sender makes each task\'s bytes and sends them with the task (a copy through postMessage or the IPC channel), as multiprocessing pickles a task\'s arguments' })
  }, { additionalProperties: false })
}

export type HashParams = Static<ReturnType<typeof hashParamsSchema>>

/**
 * One task hashes bytes × rounds: bounded so that no single in-range task can hold a thread (or the event loop) for
 * minutes, and far lower for a request's own task on the main thread, which holds every other request meanwhile.
 */
export function checkHashParams (params: HashParams, at: string, { config, mode, singleRequest, gil }: ParamsCheckContext): string | undefined {
  if (params.releaseGil && !gil) {
    return `${at}/releaseGil needs the job's gil: true (without the emulated GIL there is no lock to release; gil: false already runs as free-threaded CPython)`
  }
  if (params.input === 'shipped' && mode.shipsTaskInput === false) {
    return `${at}/input must be seeded in mode ${mode.name} (it cannot send a task's bytes with the task); got shipped`
  }
  const work = params.bytes * params.rounds
  if (singleRequest && mode.mainThread && work > config.MAIN_THREAD_WORK_MAX_BYTES) {
    return `${at}/bytes × ${at}/rounds must be <= ${config.MAIN_THREAD_WORK_MAX_BYTES} in mode ${mode.name} (MAIN_THREAD_WORK_MAX_BYTES: it runs on the event loop); got ${work}, or use a mode that runs off the main thread`
  }
  return work > config.MAX_HASH_TASK_BYTES
    ? `${at}/bytes × ${at}/rounds must be <= ${config.MAX_HASH_TASK_BYTES} per task (MAX_HASH_TASK_BYTES); got ${work}`
    : undefined
}
