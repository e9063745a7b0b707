/**
 * The race lab's CPython original (python/race.py) beside the Node run: the parameters it is given and the shape
 * of what it answers, in the Node report's field names so the two compare row by row.
 */
import { Type, type Static } from 'typebox'
import { runOriginal } from '../cpython/run-original.js'
import type { CpythonAnswer } from '../cpython/cpython-schema.js'
import { StringEnum } from '../schema-helpers.js'
import type { RaceOptions } from './race.js'
import { RACE_STRATEGIES } from './race-messages.js'
import { tallyFields } from './race-tally-schema.js'

const Tally = tallyFields({
  ms: 'first thread start → last thread end, time.perf_counter() in the threads',
  startupMs: 'Thread.start() of the first → every thread at the threading.Barrier'
})

export const CpythonRaceResultSchema = Type.Object({
  workers: Type.Integer(),
  increments: Type.Integer(),
  gil: Type.Boolean({ description: 'whether this CPython ran with its GIL (false only on a free-threaded 3.13t run with the GIL off)' }),
  switchIntervalMs: Type.Number({ description: 'sys.getswitchinterval() × 1000, set from the body\'s switchIntervalMs' }),
  cores: Type.Integer({ description: 'os.sched_getaffinity(0): the cores this process may use' }),
  results: Type.Array(Type.Object({
    strategy: StringEnum(RACE_STRATEGIES),
    python: Type.String({ description: 'the statement each thread\'s loop runs' }),
    ...Tally,
    opsPerSec: Type.Integer({ description: 'expected ÷ ms' })
  })),
  absent: Type.Array(Type.Object({
    strategy: StringEnum(RACE_STRATEGIES),
    reason: Type.String()
  }), { description: 'strategies asked for that have no Python original (atomic: Python has no atomic add on an int)' }),
  record: Type.Optional(Type.Object({
    workers: Type.Integer(),
    updates: Type.Integer(),
    delayMs: Type.Integer(),
    results: Type.Array(Type.Object({ locked: Type.Boolean(), ...Tally }))
  })),
  totalMs: Type.Number({ description: 'the whole script\'s run, interpreter start-up excluded' })
})
export type CpythonRaceResult = Static<typeof CpythonRaceResultSchema>

export interface RaceOriginalRun {
  requested: boolean
  options: RaceOptions
  executable: string
  maxMs: number
  signal: AbortSignal
}

/** Runs python/race.py with the Node run's parameters (CPython always has its own GIL; switchIntervalMs sets it). */
export function runRaceOriginal (run: RaceOriginalRun): Promise<CpythonAnswer<CpythonRaceResult>> {
  const { workers, increments, strategies, switchIntervalMs, record } = run.options
  return runOriginal<CpythonRaceResult>({
    requested: run.requested,
    script: 'race.py',
    resultSchema: CpythonRaceResultSchema,
    params: { workers, increments, strategies, switchIntervalMs, record: record ?? null, maxMs: run.maxMs },
    executable: run.executable,
    timeoutMs: run.maxMs,
    signal: run.signal,
    what: 'race lab'
  })
}
