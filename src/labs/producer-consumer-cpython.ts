/**
 * The producer/consumer lab's CPython original (python/producer_consumer.py) beside the Node run: the parameters it
 * is given and the shape of what it answers, in the Node report's field names so the two compare row by row.
 */
import { Type, type Static } from 'typebox'
import { runOriginal } from '../cpython/run-original.js'
import type { CpythonAnswer } from '../cpython/cpython-schema.js'
import { StringEnum } from '../schema-helpers.js'
import { THREAD_ENDED_DESCRIPTION, THREAD_ENDS, countFields, runFields } from './producer-consumer-fields.js'
import type { ProducerConsumerSpec } from './producer-consumer.js'

/** A count CPython answers only when the run happened (not for a stop style absent from this CPython). */
const counted = <T extends Parameters<typeof Type.Optional>[0]>(schema: T) => Type.Optional(schema)

export const CpythonProducerConsumerResultSchema = Type.Object({
  ...runFields(),
  gil: Type.Boolean({ description: 'whether this CPython ran with its GIL (false only on a free-threaded 3.13t run with the GIL off)' }),
  switchIntervalMs: Type.Number({ description: 'sys.getswitchinterval() × 1000, set from the body\'s switchIntervalMs' }),
  cores: Type.Integer({ description: 'os.sched_getaffinity(0): the cores this process may use (os.cpu_count() where there is no affinity: macOS, Windows)' }),
  absent: Type.Optional(Type.String({ description: 'why this stop style could not run on this CPython (shutdown: Queue.shutdown() is new in 3.13); the counts are then absent' })),
  ...Type.Partial(Type.Object(countFields())).properties,
  verified: counted(Type.Boolean()),
  consumerCpuMs: counted(Type.Union([Type.Number(), Type.Null()], { description: 'time.thread_time() of the consumers from the barrier to their return, summed; ÷ ms = the cores they kept busy at once (at most about 1: the GIL); null when one never returned' })),
  ms: counted(Type.Number({ description: 'threading.Barrier release → the end, time.perf_counter()' })),
  startupMs: counted(Type.Number()),
  messagesPerSecond: counted(Type.Number()),
  workers: counted(Type.Array(Type.Object({
    role: StringEnum(['producer', 'consumer'] as const),
    index: Type.Integer(),
    count: Type.Integer(),
    timeouts: Type.Integer(),
    ended: StringEnum(THREAD_ENDS, { description: THREAD_ENDED_DESCRIPTION }),
    cpuMs: Type.Union([Type.Number(), Type.Null()], { description: 'time.thread_time() from the barrier to its return; null when it never returned' })
  })))
})
export type CpythonProducerConsumerResult = Static<typeof CpythonProducerConsumerResultSchema>

export interface ProducerConsumerOriginalRun {
  requested: boolean
  spec: ProducerConsumerSpec
  executable: string
  maxMs: number
  signal: AbortSignal
}

/**
 * Runs python/producer_consumer.py with the Node run's parameters: every field of the spec but `gil` (CPython always
 * has its own GIL; switchIntervalMs sets it).
 */
export function runProducerConsumerOriginal (run: ProducerConsumerOriginalRun): Promise<CpythonAnswer<CpythonProducerConsumerResult>> {
  const { gil: _, ...params } = run.spec
  return runOriginal<CpythonProducerConsumerResult>({
    requested: run.requested,
    script: 'producer_consumer.py',
    resultSchema: CpythonProducerConsumerResultSchema,
    params: { ...params, maxMs: run.maxMs },
    executable: run.executable,
    timeoutMs: run.maxMs,
    signal: run.signal,
    what: 'producer/consumer lab'
  })
}
