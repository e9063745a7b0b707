import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../src/config.js'
import { cpythonAnswerSchema, cpythonRequestSchema } from '../src/cpython/cpython-schema.js'
import { InvalidField } from '../src/errors.js'
import { runRaceLab } from '../src/labs/race.js'
import { CpythonRaceResultSchema, runRaceOriginal } from '../src/labs/race-cpython.js'
import { oneRunAtATime } from '../src/labs/one-run-at-a-time.js'
import { RACE_STRATEGIES } from '../src/labs/race-messages.js'
import { tallyFields } from '../src/labs/race-tally-schema.js'
import { StringEnum, switchIntervalSchema } from '../src/schema-helpers.js'

const ErrorRef = { $ref: 'Error#' }

function raceBodySchema (config: Config) {
  const maxWorkers = config.LAB_MAX_WORKERS
  return Type.Object({
    workers: Type.Integer({ minimum: 1, maximum: maxWorkers, default: Math.min(4, maxWorkers), description: 'threads sharing the counter (LAB_MAX_WORKERS)' }),
    increments: Type.Integer({ minimum: 1, maximum: config.LAB_MAX_OPERATIONS, default: Math.min(1_000_000, config.LAB_MAX_OPERATIONS), description: 'increments per thread (LAB_MAX_OPERATIONS)' }),
    strategies: Type.Array(StringEnum(RACE_STRATEGIES), {
      minItems: 1,
      uniqueItems: true,
      default: [...RACE_STRATEGIES],
      description: 'unsafe: x += 1, a plain read-modify-write (with gil: loses nothing, as CPython 3.10+; without: the free-threaded 3.13t / C case, loses updates); unsafe-call: x = x + one(), a call between the read and the write (loses updates with the GIL too: the call is a switch point); atomic: Atomics.add (no Python equivalent); mutex: with lock: x += 1. Run in this order, each in fresh threads.'
    }),
    gil: Type.Boolean({ default: false, description: 'true: the threads share an emulated GIL that switches only where CPython 3.10+ may (a loop\'s backward jump, a Python function\'s entry, a C call\'s return: where each strategy\'s Python statement has them); false, the default: no GIL, as in free-threaded CPython 3.13t or C code' }),
    switchIntervalMs: switchIntervalSchema('with gil: a thread holding the GIL hands it over at its next switch point after another has waited this long; the CPython original sets it too'),
    record: Type.Optional(Type.Object({
      workers: Type.Integer({ minimum: 1, maximum: maxWorkers, default: Math.min(4, maxWorkers), description: 'threads updating the record (LAB_MAX_WORKERS)' }),
      updates: Type.Integer({ minimum: 1, maximum: config.LAB_MAX_OPERATIONS, default: Math.min(10, config.LAB_MAX_OPERATIONS), description: 'updates per thread (LAB_MAX_OPERATIONS)' }),
      delayMs: Type.Integer({ minimum: 0, maximum: config.LAB_MAX_MS, default: 5, description: 'the "database round trip" between read and write (LAB_MAX_MS); it releases the GIL, as time.sleep does' })
    }, { additionalProperties: false, description: 'also run the seed\'s version: read → delay → write of a shared balance, without and then with a lock ({} for the defaults)' })),
    cpython: cpythonRequestSchema()
  }, { additionalProperties: false })
}

const Tally = {
  ...tallyFields({ ms: 'first thread start → last thread end, measured in the threads', startupMs: 'spawn → every thread waiting at the start gate' }),
  gilSwitches: Type.Optional(Type.Integer({ description: 'with gil: how often the GIL changed hands from one thread to another (CPython\'s switch_number; a thread taking it back after a sleep nobody used is no switch); under the GIL a lost update needs a switch between a read and its write' }))
}
const Meaning = Type.String({ description: 'what this result stands for in Python, with or without the GIL (docs/labs/race.md)' })

const RaceReportSchema = Type.Object({
  workers: Type.Integer(),
  increments: Type.Integer(),
  gil: Type.Boolean({ description: 'whether the threads shared an emulated GIL' }),
  switchIntervalMs: Type.Optional(Type.Number({ description: 'with gil: the switch interval' })),
  cores: Type.Integer({ description: 'available parallelism. Without the GIL, unsafe loses updates when ≥ 2 threads run at once on different cores; with it, one thread runs at a time and updates are lost only where a switch point splits the read from the write (unsafe-call), whatever the core count' }),
  results: Type.Array(Type.Object({
    strategy: StringEnum(RACE_STRATEGIES),
    ...Tally,
    opsPerSec: Type.Integer({ description: 'expected ÷ ms' }),
    python: Type.String({ description: 'the Python statement the strategy stands for' }),
    meaning: Meaning
  })),
  record: Type.Optional(Type.Object({
    workers: Type.Integer(),
    updates: Type.Integer(),
    delayMs: Type.Integer(),
    results: Type.Array(Type.Object({ locked: Type.Boolean(), ...Tally, meaning: Meaning }))
  })),
  cpython: cpythonAnswerSchema(CpythonRaceResultSchema)
})

/** POST /labs/race — lost updates on a shared counter, measured: unsafe vs unsafe-call vs atomic vs mutex, with or without a GIL, and the seed's record. */
const raceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.lab
  const guard = oneRunAtATime(app, 'race lab')

  app.post('/labs/race', {
    schema: {
      summary: 'Race condition lab: threads increment one shared counter with each strategy',
      description: 'Each strategy runs in fresh threads that start together at a gate, with or without an emulated GIL. The whole run is stopped with LAB_TIMED_OUT after LAB_MAX_MS. With cpython: true, python/race.py then runs the same parameters on CPython (its own LAB_MAX_MS).',
      body: raceBodySchema(config),
      response: { 200: RaceReportSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef, 504: ErrorRef }
    }
  }, async (request) => {
    const { record, cpython, ...options } = request.body
    if (record && record.workers * record.updates * record.delayMs > config.LAB_MAX_MS) {
      throw new InvalidField(`body/record: workers × updates × delayMs = ${record.workers * record.updates * record.delayMs} ms must be <= ${config.LAB_MAX_MS} (LAB_MAX_MS): the locked run waits out every delay one after another`)
    }
    const raceOptions = { ...options, record }
    return guard(async (signal) => {
      const report = await runRaceLab(raceOptions, { maxMs: config.LAB_MAX_MS, signal })
      const answer = await runRaceOriginal({ requested: cpython, options: raceOptions, executable: config.PYTHON, maxMs: config.LAB_MAX_MS, signal })
      return { ...report, cpython: answer }
    })
  })
}

export default raceRoutes
