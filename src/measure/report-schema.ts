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

const Share = (description: string) => Type.Number({ description: `${description}, a share of the window, 0…1` })

export const CoreBusySchema = Type.Object({
  core: Type.Integer({ description: 'a core the service may run on (its cpuset)' }),
  busy: Share('running anything, any process: user + nice + system + irq + softirq from /proc/stat (iowait and steal are not busy)'),
  user: Share('user + nice'),
  system: Share('system + irq + softirq'),
  iowait: Share('idle while disk I/O was outstanding (not busy)'),
  steal: Share('taken by the hypervisor for other guests while this core had work (not busy)')
}, { description: 'busy + iowait + steal + idle = 1' })
export type CoreBusy = Static<typeof CoreBusySchema>

export const CpuWindowSchema = Type.Object({
  windowMs: Ms('the window the CPU figures cover'),
  source: Type.Union([Type.Literal('proc-stat'), Type.Literal('os-cpus')],
    { description: 'where perCore came from: /proc/stat, or os.cpus() where there is none (no iowait, softirq or steal: they read 0)' }),
  capacity: Type.Number({ description: 'cores the service may keep busy: min(the cores of its cpuset, its cgroup quota)' }),
  userMs: Type.Number(),
  systemMs: Type.Number(),
  totalMs: Type.Number({ description: 'CPU of every thread of the service plus what child processes reported' }),
  coresUsed: Type.Number({ description: 'totalMs ÷ window: cores kept busy on average' }),
  utilization: Type.Number({ description: 'coresUsed ÷ capacity, 0…1' }),
  perCore: Type.Array(CoreBusySchema, { description: 'the cores the service may run on, every process on them counted' })
})
export type CpuWindow = Static<typeof CpuWindowSchema>

const NullableMs = (description: string) => Type.Union([Type.Number(), Type.Null()], { description: `${description} (ms; null without tasks)` })

export const SeriesRowSchema = Type.Object({
  startMs: Ms('row start, from the start of the measured window'),
  endMs: Ms('row end (the last row ends with the window)'),
  done: Type.Integer({ description: 'tasks that succeeded whose outcome arrived in this row' }),
  failed: Type.Integer(),
  tasksPerSec: Type.Number({ description: 'done ÷ the row\'s length' }),
  latencyP50Ms: NullableMs('service time p50 of the row\'s tasks'),
  latencyP99Ms: NullableMs('service time p99'),
  responseP50Ms: NullableMs('response time p50 (due → end)'),
  responseP99Ms: NullableMs('response time p99'),
  cpuBusy: Type.Array(Type.Number(), { description: 'busy share of each of the service\'s cores over the row (perCore order), from samples at the row boundaries' })
})
export type SeriesRow = Static<typeof SeriesRowSchema>

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

const HistogramBinsSchema = Type.Array(Type.Object({
  le: Type.Number({ description: 'upper edge of the bin, ms (the lower edge is the previous bin\'s)' }),
  count: Type.Integer({ description: 'tasks in the bin' })
}), { description: 'log-spaced bins, 10 per power of ten of ms (edges 10^(k/10)), from the bin of min to the bin of max, empty ones included; counts add up to the summary\'s count' })

export const HistogramsSchema = Type.Object({
  latencyMs: HistogramBinsSchema,
  responseMs: HistogramBinsSchema
}, { description: 'the distributions behind latencyMs and responseMs, for a histogram with cumulative percent (the web page, conclab)' })

export const ReplicaStatsSchema = Type.Object({
  replica: Type.String({ description: 'REPLICA_ID of the replica (default <hostname>-<pid>; Kubernetes: the pod name)' }),
  slices: Type.Integer({ description: 'slices it completed for this job' }),
  retried: Type.Integer({ description: 'of them, slices another replica had started and not finished (it died) or that failed before' }),
  tasks: Type.Integer({ description: 'tasks of its completed slices (done + failed)' }),
  failed: Type.Integer(),
  windowMs: Type.Number({ description: 'from the start of its first slice to the end of its last (its clock)' }),
  tasksPerSec: Type.Number({ description: 'tasks ÷ windowMs' }),
  busyMs: Type.Number({ description: 'summed run time of its tasks' }),
  cpu: Type.Object({
    coresUsed: Type.Number({ description: 'the replica process\'s CPU time (every thread: pool, main, HTTP) ÷ windowMs' }),
    perCore: Type.Array(CoreBusySchema, { description: 'its machine\'s cores over windowMs, from its /proc/stat (a replica on a shared host shows its neighbours\' work too)' })
  })
}, { description: 'one replica\'s share of a cluster job' })

export type ReplicaStats = Static<typeof ReplicaStatsSchema>

/** spec.ioProbe's answer (src/measure/io-probe.ts): the I/O thread's rounds beside the job's tasks. */
export const IoProbeReportSchema = Type.Object({
  intervalMs: Type.Integer({ description: 'as asked: the pause between rounds' }),
  ioMs: Type.Number({ description: 'as asked: the I/O wait of each round, which latencyMs includes' }),
  samples: Type.Integer({ description: 'rounds timed inside the measured window (start-up and join of the job\'s workers left out)' }),
  latencyMs: Type.Union([LatencySummarySchema, Type.Null()], { description: 'each round: holding the lock as its I/O starts → holding it again after (ioMs + the wait for the lock); null without samples' }),
  gilWaitMs: Type.Union([LatencySummarySchema, Type.Null()], { description: 'the part of each round spent waiting for the lock after its I/O ended: about a switch interval beside CPU-bound threads under the GIL, about 0 without one; null without samples' })
}, { description: 'with ioProbe in the spec: the I/O thread\'s rounds (absent otherwise)' })
export type IoProbeReport = Static<typeof IoProbeReportSchema>

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
  latencyMs: Type.Union([LatencySummarySchema, Type.Null()], { description: 'service time: end − start of each task where it ran (done and failed)' }),
  queueMs: Type.Union([LatencySummarySchema, Type.Null()], { description: 'start − due: how long each task waited to start (closed loop: after its concurrency slot took it; open loop: after its scheduled arrival)' }),
  responseMs: Type.Union([LatencySummarySchema, Type.Null()], { description: 'end − due = queueMs + latencyMs: what a caller would have waited, free of coordinated omission' }),
  arrivals: Type.Object({
    process: Type.Union([Type.Literal('closed'), Type.Literal('constant'), Type.Literal('poisson')], { description: 'closed: a task is due when a slot frees; constant or poisson: open loop at `rate`' }),
    rate: Type.Union([Type.Number(), Type.Null()], { description: 'the asked rate, tasks/s (null when closed)' }),
    achievedRate: Type.Union([Type.Number(), Type.Null()], { description: 'open loop: tasks started ÷ (last start − first due), tasks/s; below rate when the schedule fell behind' }),
    lateStarts: Type.Integer({ description: 'open loop: tasks that started more than 2 ms after they were due (timers resolve to about 1 ms; 0 when closed)' })
  }),
  warmup: Type.Union([Type.Object({ tasks: Type.Integer(), ms: Type.Number() }), Type.Null()], { description: 'what the warm-up ran before the window (in no other figure); null without one' }),
  series: Type.Array(SeriesRowSchema, { description: 'one row per seriesIntervalMs of the window (at most MAX_SERIES_ROWS: beyond, neighbours merge and the interval doubles); done and failed add up to tasks.done and tasks.failed' }),
  seriesIntervalMs: Type.Number({ description: 'the rows\' length: seriesIntervalMs of the spec, doubled each time the rows were merged' }),
  histograms: HistogramsSchema,
  waitMs: Type.Union([LatencySummarySchema, Type.Null()], { description: 'time tasks waited for a shared resource (db connections)' }),
  gilWaitMs: Type.Union([LatencySummarySchema, Type.Null()], { description: 'with gil: time each task waited for the emulated GIL (null without)' }),
  ioProbe: Type.Optional(IoProbeReportSchema),
  cpu: CpuWindowSchema,
  warnings: Type.Array(Type.String(), {
    description: 'why this report\'s numbers may be suspect, each starting with its kind: ' +
      '"steal:" the hypervisor took more than 2 % of the allowed cores\' time (throughput is low by about that much and varies); ' +
      '"other load:" other processes kept more than 10 % of the service\'s capacity busy on its cores (it competed for CPU); ' +
      '"short window:" the window was under 100 ms, ten 10 ms ticks of /proc/stat, so per-core figures are coarse; ' +
      '"impossible:" cpu.coresUsed exceeds the allowed cores\' summed busy by more than a tick per core, or the allowed cores themselves (a measuring fault: do not use the numbers); ' +
      '"no steal data:" per-core figures came from os.cpus(), so steal and iowait cannot be seen; ' +
      '"partial cpu:" cpu covers one process of several that ran the job (cluster: the coordinating replica; byReplica has each replica\'s), so other load is not checked. Empty when nothing is suspect'
  }),
  eventLoop: Type.Object({
    utilization: Type.Number({ description: 'main event loop busy share over the job, 0…1' }),
    delayP99Ms: Type.Number({ description: 'how late a 10 ms timer fired, p99, corrected for coordinated omission: a stall of S ms counts as S ÷ 10 samples (S, S − 10, …), as requests arriving during it would have waited' }),
    delayMaxMs: Type.Number({ description: 'the longest stall' }),
    delaySamples: Type.Integer({ description: 'samples behind delayP99Ms: one per 10 ms of the run, stalls included' })
  }),
  workers: Type.Array(WorkerStatsSchema),
  workerDeaths: Type.Integer(),
  dispatches: Type.Integer({ description: 'pool and processes: dispatches sent (tasks ÷ dispatches = the batch size they ran with); cluster: slices sent, a slice run again after its replica died counted once; 0 in other modes' }),
  byReplica: Type.Optional(Type.Array(ReplicaStatsSchema, { description: 'cluster: what each replica ran of the job, merged from its slices (fairness: compare tasks, busyMs and cpu across replicas)' })),
  retriedSlices: Type.Optional(Type.Integer({ minimum: 0, description: 'cluster: slices that ran again because the replica running them died (BullMQ stalled recovery) or failed; each task is still counted once, from the run that completed' })),
  errors: Type.Array(Type.Object({ index: Type.Integer(), worker: Type.String(), message: Type.String() }),
    { description: 'the first MAX_JOB_ERRORS task errors' }),
  errorsOmitted: Type.Integer({ description: 'task errors not listed' }),
  results: Type.Array(Type.Object({ index: Type.Integer(), value: Type.Union([Type.String(), Type.Number()]) }),
    { description: 'results of the first tasks by index, to check them' }),
  env: MachineSchema
})
export type Report = Static<typeof ReportSchema>
