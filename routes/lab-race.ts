import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../src/config.js'
import { InvalidField } from '../src/errors.js'
import { runRaceLab } from '../src/labs/race.js'
import { oneRunAtATime } from '../src/labs/one-run-at-a-time.js'
import { RACE_STRATEGIES } from '../src/labs/race-messages.js'
import { StringEnum } from '../src/schema-helpers.js'

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
      description: 'unsafe: plain read-modify-write; atomic: Atomics.add; mutex: a shared-memory lock around the read-modify-write. Run in this order, each in fresh threads.'
    }),
    record: Type.Optional(Type.Object({
      workers: Type.Integer({ minimum: 1, maximum: maxWorkers, default: Math.min(4, maxWorkers), description: 'threads updating the record (LAB_MAX_WORKERS)' }),
      updates: Type.Integer({ minimum: 1, maximum: config.LAB_MAX_OPERATIONS, default: Math.min(10, config.LAB_MAX_OPERATIONS), description: 'updates per thread (LAB_MAX_OPERATIONS)' }),
      delayMs: Type.Integer({ minimum: 0, maximum: config.LAB_MAX_MS, default: 5, description: 'the "database round trip" between read and write (LAB_MAX_MS)' })
    }, { additionalProperties: false, description: 'also run the seed\'s version: read → delay → write of a shared balance, without and then with a lock ({} for the defaults)' }))
  }, { additionalProperties: false })
}

const Tally = {
  expected: Type.Integer({ description: 'what the counter reads if no update is lost' }),
  actual: Type.Integer({ description: 'what it reads after every thread has exited' }),
  lostUpdates: Type.Integer({ description: 'expected − actual' }),
  ms: Type.Number({ description: 'first thread start → last thread end, measured in the threads' }),
  startupMs: Type.Number({ description: 'spawn → every thread waiting at the start gate' })
}

const RaceReportSchema = Type.Object({
  workers: Type.Integer(),
  increments: Type.Integer(),
  cores: Type.Integer({ description: 'available parallelism: lost updates of `unsafe` need ≥ 2 threads running at once' }),
  results: Type.Array(Type.Object({
    strategy: StringEnum(RACE_STRATEGIES),
    ...Tally,
    opsPerSec: Type.Integer({ description: 'expected ÷ ms' })
  })),
  record: Type.Optional(Type.Object({
    workers: Type.Integer(),
    updates: Type.Integer(),
    delayMs: Type.Integer(),
    results: Type.Array(Type.Object({ locked: Type.Boolean(), ...Tally }))
  }))
})

/** POST /labs/race — lost updates on a shared counter, measured: unsafe vs atomic vs mutex, and the seed's record. */
const raceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.lab
  const guard = oneRunAtATime(app, 'race lab')

  app.post('/labs/race', {
    schema: {
      summary: 'Race condition lab: threads increment one shared counter with each strategy',
      description: 'Each strategy runs in fresh threads that start together at a gate. The whole run is stopped with LAB_TIMED_OUT after LAB_MAX_MS.',
      body: raceBodySchema(config),
      response: { 200: RaceReportSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef, 504: ErrorRef }
    }
  }, async (request) => {
    const { record } = request.body
    if (record && record.workers * record.updates * record.delayMs > config.LAB_MAX_MS) {
      throw new InvalidField(`body/record: workers × updates × delayMs = ${record.workers * record.updates * record.delayMs} ms must be <= ${config.LAB_MAX_MS} (LAB_MAX_MS): the locked run waits out every delay one after another`)
    }
    return guard((signal) => runRaceLab(request.body, { maxMs: config.LAB_MAX_MS, signal }))
  })
}

export default raceRoutes
