/**
 * The GIL lab's body and answer. The answer's top-level fields are the Node run under the emulated GIL; with
 * cpython: true its `cpython` field has python/gil.py's run of the same parts with the same parameters, under the
 * same field names (CPython has no lock to switch off, so no `withoutGil`: a free-threaded build's python.build
 * says when its numbers are the lock-free ones).
 */
import { Type, type Static } from 'typebox'
import type { Config } from '../config.js'
import { cpythonAnswerSchema, cpythonRequestSchema } from '../cpython/cpython-schema.js'
import { StringEnum, switchIntervalSchema } from '../schema-helpers.js'
import { RELEASE_PHASES } from './gil-messages.js'

const KiB = 1024
/** The GIL lab's switch intervals (ms): see switchIntervalMs's description for why narrower than a job's */
const GIL_LAB_SWITCH_INTERVAL = { minimum: 0.5, maximum: 100 } as const

export function gilBodySchema (config: Config) {
  const maxWorkers = config.LAB_MAX_WORKERS
  const maxMs = config.LAB_MAX_MS
  const holdThreads = [2, 4, 6].filter((threads) => threads <= maxWorkers)
  return Type.Object({
    // Tighter than a job's: every part must fit LAB_MAX_MS and measure the interval, not the machine.
    switchIntervalMs: switchIntervalSchema('the lock\'s switch interval. Narrower than a job\'s 0.1 … 1000: each convoy round beside a CPU thread waits about an interval (30 rounds of 1 s would be the whole default LAB_MAX_MS), and below 0.5 ms a hold times how fast the OS wakes a waiter more than the interval', GIL_LAB_SWITCH_INTERVAL),
    hold: Type.Object({
      threads: Type.Array(Type.Integer({ minimum: 2, maximum: maxWorkers, description: 'CPU-bound threads (2 … LAB_MAX_WORKERS)' }), {
        minItems: 1, maxItems: 8, uniqueItems: true, default: holdThreads.length > 0 ? holdThreads : [2], description: 'a run per thread count'
      }),
      ms: Type.Integer({ minimum: 50, maximum: maxMs, default: Math.min(200, maxMs), description: 'how long each thread spins (50 … LAB_MAX_MS)' })
    }, { additionalProperties: false, default: {}, description: 'mean hold: how long a thread keeps the lock before it must hand it over' }),
    convoy: Type.Object({
      ioMs: Type.Number({ minimum: 0, maximum: 100, default: 2, description: 'each round\'s I/O: a blocking wait with the lock dropped (0 … 100 ms; the CPU thread must have woken and taken the lock before it ends, or the round does not wait for it)' }),
      rounds: Type.Integer({ minimum: 1, maximum: 1000, default: 30, description: 'I/O rounds, alone and then beside a CPU-bound thread (1 … 1000)' })
    }, { additionalProperties: false, default: {}, description: 'the convoy effect: an I/O thread\'s round trip alone vs beside one CPU-bound thread' }),
    speedup: Type.Object({
      threads: Type.Integer({ minimum: 2, maximum: maxWorkers, default: 2, description: 'threads doing one thread\'s work each (2 … LAB_MAX_WORKERS)' }),
      ms: Type.Integer({ minimum: 20, maximum: maxMs, default: Math.min(60, maxMs), description: 'one thread\'s work, calibrated in time (20 … LAB_MAX_MS); each run is done twice, the faster counts' })
    }, { additionalProperties: false, default: {}, description: 'CPU threads\' speedup: 1 vs N threads of pure CPU work' }),
    release: Type.Object({
      bytes: Type.Integer({ minimum: 4 * KiB, maximum: config.MAX_HASH_BYTES, default: Math.min(4 * KiB * KiB, config.MAX_HASH_BYTES), description: 'the buffer one sha256 call hashes (4 KiB … MAX_HASH_BYTES; hashlib drops the GIL from 2 KiB)' }),
      ms: Type.Integer({ minimum: 20, maximum: maxMs, default: Math.min(60, maxMs), description: 'each phase\'s length, per round of the phases (20 … LAB_MAX_MS; two rounds)' })
    }, { additionalProperties: false, default: {}, description: 'C code that releases the lock: a counter thread\'s pace beside sha256 with the lock released, sha256 holding it, and pure CPU work' }),
    cpython: cpythonRequestSchema()
  }, { additionalProperties: false })
}

export type GilLabBody = Static<ReturnType<typeof gilBodySchema>>
export type GilLabOptions = Omit<GilLabBody, 'cpython'>

const LatencySampleSchema = Type.Object({
  mean: Type.Number(),
  p50: Type.Number(),
  p99: Type.Number(),
  max: Type.Number()
}, { description: 'ms, of the rounds' })
export type LatencySample = Static<typeof LatencySampleSchema>

const HoldSchema = Type.Object({
  threads: Type.Integer(),
  ms: Type.Number({ description: 'the first thread\'s first hold → the last thread\'s end' }),
  switches: Type.Integer({ description: 'holds that ended in a hand-over, all threads' }),
  meanHoldMs: Type.Union([Type.Number(), Type.Null()], { description: 'their mean: about the switch interval at every thread count (null without a switch)' }),
  medianHoldMs: Type.Union([Type.Number(), Type.Null()], { description: 'their median, which a few holds made long by a busy machine do not move (null without a switch)' })
})

const PhaseSchema = Type.Object({
  phase: StringEnum(RELEASE_PHASES),
  what: Type.String({ description: 'what the phase runs, and what it stands for in Python' }),
  ms: Type.Number(),
  calls: Type.Integer({ description: 'sha256 calls in the phase (released and, in Node, held; 0 otherwise)' }),
  counterIterations: Type.Integer({ description: 'what the counter thread counted during the phase' }),
  counterShare: Type.Number({ description: 'its pace in the phase ÷ its pace alone: ≈ 1 when the other thread released the lock (on ≥ 2 cores), ≈ 0.5 when they took turns, ≈ 0 when the other kept it' })
})
export type PhaseResult = Static<typeof PhaseSchema>

function partsOf<S extends ReturnType<typeof Type.Object>> (speedup: S) {
  return {
    cores: Type.Integer({ description: 'available parallelism: released C code runs beside the counter only with ≥ 2' }),
    switchIntervalMs: Type.Number(),
    hold: Type.Array(HoldSchema),
    convoy: Type.Object({
      ioMs: Type.Number(),
      rounds: Type.Integer(),
      alone: LatencySampleSchema,
      besideCpu: LatencySampleSchema,
      addedMs: Type.Number({ description: 'besideCpu.p50 − alone.p50: what one CPU-bound thread adds to each round trip (≈ the switch interval)' })
    }, { description: 'each round: holding the lock as the I/O starts → holding it again after' }),
    speedup,
    release: Type.Object({
      bytes: Type.Integer(),
      repeats: Type.Integer({ description: 'rounds of the four phases in turn; each phase\'s figures are summed over them' }),
      phases: Type.Array(PhaseSchema)
    })
  }
}

const speedupFields = {
  threads: Type.Integer(),
  oneThreadMs: Type.Number({ description: 'one thread doing the work (the faster of two runs)' }),
  allThreadsMs: Type.Number({ description: 'threads doing that work each, at once: first start → last end (the faster of two runs)' }),
  speedup: Type.Number({ description: 'threads × oneThreadMs ÷ allThreadsMs: ≈ 1 under the GIL' })
}

/** python/gil.py's answer. */
export const CpythonGilSchema = Type.Object({
  ...partsOf(Type.Object(speedupFields)),
  method: Type.Object({
    hold: Type.String(),
    convoy: Type.String(),
    speedup: Type.String(),
    release: Type.String()
  }, { description: 'how each figure is measured in Python, where the emulation reads the lock itself' })
})
export type CpythonGilReport = Static<typeof CpythonGilSchema>

export const GilLabReportSchema = Type.Object({
  ...partsOf(Type.Object({
    ...speedupFields,
    withoutGil: Type.Object({
      allThreadsMs: Type.Number(),
      speedup: Type.Number({ description: '≈ threads, up to the cores: free-threaded CPython 3.13t' })
    }, { description: 'the same threads with no lock' })
  })),
  cpython: cpythonAnswerSchema(CpythonGilSchema)
})
export type GilLabReport = Omit<Static<typeof GilLabReportSchema>, 'cpython'>
