import { Type, type Static } from 'typebox'

/**
 * A LatencyStats as data (a cluster slice's result crosses Redis as JSON): its log-linear buckets as
 * [bucket, count] pairs, plus the exact count, sum, min and max. Merging two is exact; percentiles are only ever
 * read from merged buckets, never averaged.
 */
export const HistogramDataSchema = Type.Object({
  buckets: Type.Array(Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 1 })])),
  count: Type.Integer({ minimum: 0 }),
  sum: Type.Number(),
  min: Type.Number(),
  max: Type.Number()
})
export type HistogramData = Static<typeof HistogramDataSchema>

/**
 * What an OutcomeCollector gathered from some task outcomes, as data: what a cluster slice sends back instead of
 * one record per task. OutcomeCollector.merge() adds one to another exactly: counts add, histograms merge, workers
 * add by name, the first errors and results are kept.
 */
export const OutcomeSummarySchema = Type.Object({
  done: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
  latency: HistogramDataSchema,
  queue: HistogramDataSchema,
  response: HistogramDataSchema,
  wait: HistogramDataSchema,
  gilWait: HistogramDataSchema,
  lateStarts: Type.Integer({ minimum: 0 }),
  /** ms since the epoch; null before any task with a due time */
  firstDueAt: Type.Union([Type.Number(), Type.Null()]),
  lastStartAt: Type.Union([Type.Number(), Type.Null()]),
  workers: Type.Array(Type.Object({ worker: Type.String(), tasks: Type.Integer({ minimum: 0 }), busyMs: Type.Number() })),
  errors: Type.Array(Type.Object({ index: Type.Integer(), worker: Type.String(), message: Type.String() })),
  errorsOmitted: Type.Integer({ minimum: 0 }),
  results: Type.Array(Type.Object({ index: Type.Integer(), value: Type.Union([Type.String(), Type.Number()]) }))
})
export type OutcomeSummary = Static<typeof OutcomeSummarySchema>
