import { Type, type Static } from 'typebox'

const Ms = (description: string) => Type.Number({ description: `${description} (ms)` })

export const LatencySummarySchema = Type.Object({
  count: Type.Integer(),
  min: Type.Number(),
  p50: Type.Number(),
  p90: Type.Number(),
  p99: Type.Number(),
  max: Type.Number(),
  mean: Type.Number()
}, { description: 'milliseconds' })
export type LatencySummary = Static<typeof LatencySummarySchema>

export const CoreBusySchema = Type.Object({
  core: Type.Integer(),
  busy: Type.Number({ description: 'share of the window the core was not idle (all processes), 0…1' }),
  user: Type.Number(),
  system: Type.Number()
})
export type CoreBusy = Static<typeof CoreBusySchema>

export const CpuWindowSchema = Type.Object({
  userMs: Type.Number(),
  systemMs: Type.Number(),
  totalMs: Type.Number({ description: 'CPU of every thread of the service plus what child processes reported' }),
  coresUsed: Type.Number({ description: 'totalMs ÷ window: cores kept busy on average' }),
  utilization: Type.Number({ description: 'coresUsed ÷ the cores this service may use (available parallelism, or the cgroup quota if lower), 0…1' }),
  perCore: Type.Array(CoreBusySchema)
})
export type CpuWindow = Static<typeof CpuWindowSchema>

export const WorkerStatsSchema = Type.Object({
  worker: Type.String({ description: "'main', 'thread 3', 'pool thread 2' or 'pid 1234'" }),
  tasks: Type.Integer(),
  busyMs: Type.Number(),
  utilization: Type.Number({ description: 'busyMs ÷ wallMs; above 1 where tasks overlap on one worker (async): the average number in flight' })
})
export type WorkerStats = Static<typeof WorkerStatsSchema>

export const MachineSchema = Type.Object({
  node: Type.String(),
  platform: Type.String(),
  cpuModel: Type.String(),
  cores: Type.Integer(),
  cgroupCpuQuota: Type.Union([Type.Number(), Type.Null()], { description: 'cores allowed by the cgroup, null = unlimited' }),
  poolSize: Type.Integer()
})

export const ReportSchema = Type.Object({
  wallMs: Ms('first dispatch to last result; start-up and join excluded'),
  totalMs: Ms('the whole run: start-up + wall + join'),
  startupMs: Ms('starting threads or processes until all were ready (0 for inline, async, warm pool)'),
  teardownMs: Ms('joining threads or processes at the end'),
  tasksPerSec: Type.Number({ description: 'tasks done ÷ wallMs' }),
  tasks: Type.Object({
    total: Type.Integer(),
    done: Type.Integer({ description: 'succeeded' }),
    failed: Type.Integer(),
    notRun: Type.Integer({ description: 'never ran or never reported (cancel, timeout)' })
  }),
  latencyMs: Type.Union([LatencySummarySchema, Type.Null()], { description: 'task run time where it ran (done and failed)' }),
  waitMs: Type.Union([LatencySummarySchema, Type.Null()], { description: 'time tasks waited for a shared resource (db connections)' }),
  gilWaitMs: Type.Union([LatencySummarySchema, Type.Null()], { description: 'with gil: time each task waited for the emulated GIL (null without)' }),
  cpu: CpuWindowSchema,
  eventLoop: Type.Object({
    utilization: Type.Number({ description: 'main event loop busy share over the job, 0…1' }),
    delayP99Ms: Type.Number(),
    delayMaxMs: Type.Number()
  }),
  workers: Type.Array(WorkerStatsSchema),
  workerDeaths: Type.Integer(),
  dispatches: Type.Integer({ description: 'pool and processes: dispatches sent (tasks ÷ dispatches = the batch size they ran with); 0 in other modes' }),
  errors: Type.Array(Type.Object({ index: Type.Integer(), worker: Type.String(), message: Type.String() }),
    { description: 'the first MAX_JOB_ERRORS task errors' }),
  errorsOmitted: Type.Integer({ description: 'task errors not listed' }),
  results: Type.Array(Type.Object({ index: Type.Integer(), value: Type.Union([Type.String(), Type.Number()]) }),
    { description: 'results of the first tasks by index, to check them' }),
  env: MachineSchema
})
export type Report = Static<typeof ReportSchema>
