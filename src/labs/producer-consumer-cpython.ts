/**
 * The producer/consumer lab's CPython original (python/producer_consumer.py) beside the Node run: the parameters it
 * is given and the shape of what it answers, in the Node report's field names so the two compare row by row.
 */
import { Type, type Static } from 'typebox'
import { runOriginal } from '../cpython/run-original.js'
import type { CpythonAnswer } from '../cpython/cpython-schema.js'
import { StringEnum } from '../schema-helpers.js'
import { STOP_STYLES, WORK_KINDS } from './producer-consumer-messages.js'
import type { ProducerConsumerSpec } from './producer-consumer.js'

const counted = <T extends Parameters<typeof Type.Optional>[0]>(schema: T) => Type.Optional(schema)

export const CpythonProducerConsumerResultSchema = Type.Object({
  producers: Type.Integer(),
  consumers: Type.Integer(),
  capacity: Type.Integer(),
  messages: Type.Integer(),
  work: StringEnum(WORK_KINDS),
  workUs: Type.Integer(),
  stop: StringEnum(STOP_STYLES),
  getTimeoutMs: Type.Integer(),
  gil: Type.Boolean({ description: 'whether this CPython ran with its GIL (false only on a free-threaded 3.13t run with the GIL off)' }),
  switchIntervalMs: Type.Number({ description: 'sys.getswitchinterval() × 1000, set from the body\'s switchIntervalMs' }),
  cores: Type.Integer({ description: 'os.sched_getaffinity(0): the cores this process may use (os.cpu_count() where there is no affinity: macOS, Windows)' }),
  absent: Type.Optional(Type.String({ description: 'why this stop style could not run on this CPython (shutdown: Queue.shutdown() is new in 3.13); the counts are then absent' })),
  produced: counted(Type.Integer()),
  consumed: counted(Type.Integer()),
  lost: counted(Type.Integer()),
  duplicates: counted(Type.Integer()),
  leftInQueue: counted(Type.Integer()),
  stuck: counted(Type.Integer({ description: 'consumer threads still alive in get() at the end (daemon threads: Python cannot kill them; the process exits under them)' })),
  stuckProducers: counted(Type.Integer()),
  timeouts: counted(Type.Integer()),
  verified: counted(Type.Boolean()),
  ms: counted(Type.Number({ description: 'threading.Barrier release → the end, time.perf_counter()' })),
  startupMs: counted(Type.Number()),
  messagesPerSecond: counted(Type.Number()),
  workers: counted(Type.Array(Type.Object({
    role: StringEnum(['producer', 'consumer'] as const),
    index: Type.Integer(),
    count: Type.Integer(),
    timeouts: Type.Integer(),
    ended: StringEnum(['returned', 'stuck', 'daemon'] as const)
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

/** Runs python/producer_consumer.py with the Node run's parameters (CPython always has its own GIL; switchIntervalMs sets it). */
export function runProducerConsumerOriginal (run: ProducerConsumerOriginalRun): Promise<CpythonAnswer<CpythonProducerConsumerResult>> {
  const { producers, consumers, capacity, messages, work, workUs, stop, getTimeoutMs, switchIntervalMs } = run.spec
  return runOriginal<CpythonProducerConsumerResult>({
    requested: run.requested,
    script: 'producer_consumer.py',
    params: { producers, consumers, capacity, messages, work, workUs, stop, getTimeoutMs, switchIntervalMs, maxMs: run.maxMs },
    executable: run.executable,
    timeoutMs: run.maxMs,
    signal: run.signal,
    what: 'producer/consumer lab'
  })
}
