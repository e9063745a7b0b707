import { Type, type Static } from 'typebox'
import { StringEnum } from '../schema-helpers.js'
import { OutcomeSummarySchema } from '../measure/outcome-summary-schema.js'
import { WORKLOAD_NAMES } from '../workloads/index.js'

/**
 * What crosses Redis for one slice of a cluster job. Data in, summary out, both JSON: a replica checks a slice
 * against SliceDataSchema before it runs anything, and the coordinator checks a result against SliceResultSchema
 * before it merges it (a replica of another version, or anything else that writes to the queue, is refused).
 */
export const SliceDataSchema = Type.Object({
  jobId: Type.String({ maxLength: 128 }),
  /** the replica that coordinates the job (logs) */
  coordinator: Type.String({ maxLength: 128 }),
  workload: StringEnum(WORKLOAD_NAMES),
  /** checked by the coordinator's spec service, against its limits */
  params: Type.Unknown(),
  seed: Type.Integer(),
  latencyCapMs: Type.Number({ minimum: 0 }),
  crashAtTask: Type.Optional(Type.Integer({ minimum: 0 })),
  /** added to each index as the task function sees it (a warm-up's tasks are numbered after the job's) */
  indexOffset: Type.Optional(Type.Integer({ minimum: 0 })),
  /** what the replica's task metrics call these tasks */
  source: StringEnum(['job', 'warmup']),
  /** with gil: each replica emulates its own lock (one per process, as each CPython process has its own GIL) */
  gil: Type.Optional(Type.Object({ switchIntervalMs: Type.Number({ exclusiveMinimum: 0 }) })),
  /** the job's task indices this slice runs */
  indices: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 }),
  /** ms since the epoch when each task became due: one time for all (closed loop: when a lane took the slice), or one per index (open loop) */
  dueAt: Type.Union([Type.Number(), Type.Array(Type.Number())])
})
export type SliceData = Static<typeof SliceDataSchema>

/** A replica's CPU counters at one instant, comparable across slices of that replica only. */
export const CpuReadingSchema = Type.Object({
  /** ms since the epoch, the replica's clock */
  at: Type.Number(),
  /** this process's CPU time so far (every thread) */
  userMs: Type.Number(),
  systemMs: Type.Number(),
  /** /proc/stat times of the cores it may run on, ms */
  cores: Type.Array(Type.Record(Type.String(), Type.Number()))
})
export type CpuReading = Static<typeof CpuReadingSchema>

export const SliceResultSchema = Type.Object({
  replica: Type.String(),
  summary: OutcomeSummarySchema,
  cpuStart: CpuReadingSchema,
  cpuEnd: CpuReadingSchema,
  /** times BullMQ had found this slice stalled (the replica running it died) before this run */
  stalledBefore: Type.Integer({ minimum: 0 })
})
export type SliceResult = Static<typeof SliceResultSchema>
