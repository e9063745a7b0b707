/**
 * The compare experiment's CPython original (python/compare.py): threading vs multiprocessing start-up with each
 * start method, and the compare's hash tasks through ThreadPoolExecutor and a spawn ProcessPoolExecutor with the
 * same input (seeded in each child, or shipped with each task) — field names as the Node rows have them.
 */
import { Type, type Static } from 'typebox'
import { runOriginal } from '../cpython/run-original.js'
import type { CpythonAnswer } from '../cpython/cpython-schema.js'
import type { JobSpec } from '../jobs/spec-service.js'
import { StringEnum } from '../schema-helpers.js'

const StartMethod = StringEnum(['fork', 'forkserver', 'spawn'] as const)

export const CpythonCompareResultSchema = Type.Object({
  cores: Type.Integer({ description: 'os.sched_getaffinity(0): the cores this process may use' }),
  defaultStartMethod: Type.String({ description: 'multiprocessing.get_start_method() on this platform and version' }),
  startup: Type.Object({
    threads: Type.Array(Type.Object({
      workers: Type.Integer(),
      minMs: Type.Number({ description: 'threading.Thread × workers started and joined, the fastest of 5' }),
      medianMs: Type.Number()
    })),
    processes: Type.Array(Type.Object({
      startMethod: StartMethod,
      workers: Type.Integer(),
      ms: Type.Number({ description: 'ProcessPoolExecutor(workers) with this start method until its first map of one no-op per worker returned' })
    }))
  }, { description: 'one entry per concurrency level of the compare' }),
  hash: Type.Array(Type.Object({
    executor: StringEnum(['ThreadPoolExecutor', 'ProcessPoolExecutor'] as const),
    startMethod: Type.Union([StartMethod, Type.Null()], { description: 'spawn for the process pool (what Node\'s child_process.fork() is); null for threads' }),
    workers: Type.Integer(),
    input: StringEnum(['reference', 'seeded', 'shipped'] as const, { description: 'reference: a thread gets the very object; seeded: each child made its own copy; shipped: pickled through the pipe with each task' }),
    startupMs: Type.Number({ description: 'pool created until every worker had run a task of 5 ms (so none joins the measured run late; not in wallMs)' }),
    wallMs: Type.Number({ description: 'first submit → last result of the tasks (map, chunksize 2 for processes)' }),
    tasksPerSec: Type.Union([Type.Number(), Type.Null()]),
    firstResults: Type.Array(Type.String(), { description: 'the first digests (the data is made with hashlib, not AES: they differ from the Node run\'s)' })
  }), { description: 'the compare\'s hash tasks (tasks, bytes, rounds, algorithm, input) at each concurrency level; empty for another workload' }),
  absent: Type.Array(Type.Object({ what: Type.String(), reason: Type.String() }), { description: 'what did not run, and why (another workload, a start method the platform lacks, past LAB_MAX_MS)' }),
  totalMs: Type.Number({ description: 'the whole script, interpreter start-up excluded' })
})
export type CpythonCompareResult = Static<typeof CpythonCompareResultSchema>

export interface CompareOriginalRun {
  requested: boolean
  /** the baseline's spec: what every run of the compare shared (params with their defaults) */
  spec: JobSpec
  concurrency: number[]
  executable: string
  maxMs: number
  signal: AbortSignal
}

/** Runs python/compare.py with the compare's workload, params and levels, after the Node runs (never beside them). */
export function runCompareOriginal (run: CompareOriginalRun): Promise<CpythonAnswer<CpythonCompareResult>> {
  const { workload, tasks, seed, params } = run.spec
  return runOriginal<CpythonCompareResult>({
    requested: run.requested,
    script: 'compare.py',
    resultSchema: CpythonCompareResultSchema,
    params: { workload, tasks, seed, ...(params as Record<string, unknown>), concurrency: run.concurrency, maxMs: run.maxMs },
    executable: run.executable,
    timeoutMs: run.maxMs,
    signal: run.signal,
    what: 'compare experiment'
  })
}
