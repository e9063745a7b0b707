import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type GaugeConfiguration } from 'prom-client'
import type { TaskOutcome } from '../executors/messages.js'
import { TASK_BUCKETS } from './buckets.js'
import type { ModeRuntime } from '../executors/mode-definition.js'
import type { ModeRegistry } from '../executors/registry.js'
import type { WorkerPool } from '../executors/worker-pool.js'
import type { Job } from '../jobs/job.js'
import type { JobScheduler } from '../jobs/job-scheduler.js'
import type { TaskLabels } from '../jobs/runner-deps.js'
import { sampleCpu } from '../measure/cpu-sampler.js'
import { EventLoopDelay } from '../measure/event-loop-delay.js'
import { cpuCapacity, cpuLimits } from '../measure/environment.js'
import { CPU_MODES } from '../measure/proc-stat.js'

const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]
/** Fine enough to resolve sub-millisecond routes (prom-client's defaults start at 5 ms and hide them). */
export const HTTP_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Every number the service knows, for Prometheus. Recorded in the main thread only, from what tasks and workers
 * return (workers never run registries of their own); labels are bounded sets (mode, workload, outcome, route,
 * core, pool slot) — never a job id. Hot paths use label children bound once per job.
 */
export class ServiceMetrics {
  readonly registry = new Registry()
  readonly #tasks: Counter<'mode' | 'workload' | 'source' | 'outcome'>
  readonly #taskRun: Histogram<'mode' | 'workload' | 'source'>
  readonly #taskWait: Histogram<'mode' | 'workload' | 'source'>
  readonly #jobs: Counter<'mode' | 'workload' | 'outcome'>
  readonly #jobDuration: Histogram<'mode' | 'workload' | 'outcome'>
  readonly http: Histogram<'method' | 'route' | 'status_class'>
  readonly #eventLoopDelay: EventLoopDelay
  readonly #cpuSeconds: Counter<'core' | 'mode'>
  readonly #childCpuSeconds: Counter

  constructor (deps: { scheduler: () => JobScheduler | undefined, pool: WorkerPool, modes: ModeRegistry, runtime: ModeRuntime, version: string, cpuRoot?: string }) {
    const registers = [this.registry]
    // Gauges read their value at scrape time (collect); the registry holds them, nothing else needs a handle.
    const gauge = <L extends string>(configuration: GaugeConfiguration<L>) => new Gauge(configuration)
    collectDefaultMetrics({ register: this.registry })
    this.#tasks = new Counter({ name: 'conclab_tasks_total', help: 'Tasks run, by mode, workload, source (job, warmup, work: GET /work, timer: a timer fire; the tasks of a cluster job are counted by the replica that ran them) and outcome (succeeded, failed)', labelNames: ['mode', 'workload', 'source', 'outcome'], registers })
    this.#taskRun = new Histogram({ name: 'conclab_task_run_seconds', help: 'Task run time where it ran, by mode, workload and source', labelNames: ['mode', 'workload', 'source'], buckets: TASK_BUCKETS, registers })
    this.#taskWait = new Histogram({
      name: 'conclab_task_queue_wait_seconds',
      help: 'queueMs: time from a task being due (closed loop: its concurrency slot took it; open loop: its scheduled arrival) to it starting',
      labelNames: ['mode', 'workload', 'source'],
      buckets: TASK_BUCKETS,
      registers
    })
    this.#jobs = new Counter({ name: 'conclab_jobs_total', help: 'Jobs ended, by mode, workload and outcome (succeeded, failed, cancelled)', labelNames: ['mode', 'workload', 'outcome'], registers })
    this.#jobDuration = new Histogram({ name: 'conclab_job_duration_seconds', help: 'Job run time (report.totalMs)', labelNames: ['mode', 'workload', 'outcome'], buckets: JOB_BUCKETS, registers })
    this.http = new Histogram({ name: 'conclab_http_request_duration_seconds', help: 'HTTP request time by method, route and status class', labelNames: ['method', 'route', 'status_class'], buckets: HTTP_BUCKETS, registers })

    // How late the main event loop answers, corrected for coordinated omission (see measure/event-loop-delay.ts):
    // nodejs_eventloop_lag_p99_seconds takes its p99 over timer firings, so a 500 ms stall is one sample.
    const eventLoopDelay = new Histogram({
      name: 'conclab_event_loop_delay_seconds',
      help: 'How late a 10 ms timer on the main event loop fired, a stall of S counting S ÷ 10 ms samples (corrected for coordinated omission)',
      buckets: TASK_BUCKETS,
      registers
    })
    this.#eventLoopDelay = new EventLoopDelay({ onSample: (lateMs) => eventLoopDelay.observe(lateMs / 1000) }).start()
    gauge({ name: 'conclab_jobs_running', help: 'Jobs running', registers, collect () { this.set(deps.scheduler()?.runningCount ?? 0) } })
    gauge({ name: 'conclab_jobs_queued', help: 'Jobs waiting in the queue', registers, collect () { this.set(deps.scheduler()?.queuedCount ?? 0) } })
    gauge({
      name: 'conclab_live_workers',
      help: 'Live threads and child processes by mode, for every mode that starts its own (e.g. threads: job threads, processes: children, pool: ready pool threads)',
      labelNames: ['mode'],
      registers,
      collect () {
        for (const mode of deps.modes.all) if (mode.liveWorkers) this.set({ mode: mode.name }, mode.liveWorkers(deps.runtime))
      }
    })
    gauge({ name: 'conclab_pool_threads', help: 'Threads of the warm pool that are ready', registers, collect () { this.set(deps.pool.readyThreads) } })
    gauge({ name: 'conclab_pool_size', help: 'Configured pool size (POOL_SIZE)', registers, collect () { this.set(deps.pool.size) } })
    gauge({ name: 'conclab_pool_queue_size', help: 'Dispatches waiting in the pool queue', registers, collect () { this.set(deps.pool.queueSize) } })
    const poolElu = new Map<number, ReturnType<typeof performance.eventLoopUtilization>>()
    gauge({
      name: 'conclab_pool_thread_utilization',
      help: 'Event-loop utilization of each pool thread since the previous scrape, by pool slot',
      labelNames: ['slot'],
      registers,
      collect () {
        this.reset()
        deps.pool.piscina.threads.forEach((thread, slot) => {
          const now = thread.performance.eventLoopUtilization()
          const before = poolElu.get(thread.threadId)
          poolElu.set(thread.threadId, now)
          const delta = before ? thread.performance.eventLoopUtilization(now, before) : now
          this.set({ slot: String(slot) }, delta.utilization)
        })
        const live = new Set(deps.pool.piscina.threads.map((thread) => thread.threadId))
        for (const id of poolElu.keys()) if (!live.has(id)) poolElu.delete(id)
      }
    })
    let mainElu = performance.eventLoopUtilization()
    gauge({
      name: 'conclab_event_loop_utilization',
      help: 'Main event-loop utilization since the previous scrape',
      registers,
      collect () {
        const now = performance.eventLoopUtilization()
        this.set(performance.eventLoopUtilization(now, mainElu).utilization)
        mainElu = now
      }
    })
    const cpuRoot = deps.cpuRoot ?? '/'
    const cpuBefore = new Map(sampleCpu(cpuRoot).cores.map((times) => [times.core, times]))
    this.#cpuSeconds = new Counter({
      name: 'conclab_cpu_seconds_total',
      help: 'CPU time of each core the service may run on (its cpuset), by mode (user, nice, system, idle, iowait, irq, softirq, steal), from /proc/stat (os.cpus() elsewhere: no iowait, softirq, steal): take rate(); busy = user + nice + system + irq + softirq',
      labelNames: ['core', 'mode'],
      registers,
      collect () {
        for (const times of sampleCpu(cpuRoot).cores) {
          const before = cpuBefore.get(times.core) ?? times
          for (const mode of CPU_MODES) this.inc({ core: String(times.core), mode }, Math.max(times[mode] - before[mode], 0) / 1000)
          cpuBefore.set(times.core, times)
        }
      }
    })
    this.#childCpuSeconds = new Counter({
      name: 'conclab_child_cpu_seconds_total',
      help: 'CPU time (user + system) that child processes reported for themselves, counted when their run ends; process_cpu_seconds_total cannot include it',
      registers
    })
    gauge({ name: 'conclab_cores', help: 'Cores this service may keep busy: min(the cores of its cpuset, its cgroup CPU quota)', registers, collect () { this.set(cpuCapacity(cpuRoot)) } })
    gauge({
      name: 'conclab_cgroup_cpu_quota_cores',
      help: 'CPU quota of the service\'s own cgroup in cores (v2 cpu.max or v1 CFS quota, the smallest up to the root); 0 when unlimited',
      registers,
      collect () { this.set(cpuLimits(cpuRoot).cgroupCpuQuota ?? 0) }
    })
    gauge({ name: 'conclab_build_info', help: 'Version of the service and of Node.js', labelNames: ['version', 'node'], registers })
      .set({ version: deps.version, node: process.version }, 1)
  }

  /** Label children bound once per run (a job, a /work request, a timer fire): a task costs two observes and one increment. */
  taskObserver (labels: TaskLabels): (outcomes: TaskOutcome[]) => void {
    const succeeded = this.#tasks.labels({ ...labels, outcome: 'succeeded' })
    const failed = this.#tasks.labels({ ...labels, outcome: 'failed' })
    const run = this.#taskRun.labels(labels)
    const wait = this.#taskWait.labels(labels)
    return (outcomes) => {
      for (const outcome of outcomes) {
        (outcome.ok ? succeeded : failed).inc()
        if (outcome.lost) continue
        run.observe(outcome.runMs / 1000)
        if (outcome.startedAt !== undefined && outcome.dueAt !== undefined) wait.observe(Math.max(outcome.startedAt - outcome.dueAt, 0) / 1000)
      }
    }
  }

  /** Stops the event-loop sampler (the app's onClose). */
  close (): void {
    this.#eventLoopDelay.stop()
  }

  jobEnded (job: Job): void {
    const labels = { mode: job.spec.mode, workload: job.spec.workload, outcome: job.status }
    this.#jobs.inc(labels)
    if (job.report) this.#jobDuration.observe(labels, job.report.totalMs / 1000)
  }

  /** CPU that child processes reported for themselves at the end of a run (ExecutionResult.childCpu). */
  childCpu (cpu: { userMs: number, systemMs: number }): void {
    const seconds = (cpu.userMs + cpu.systemMs) / 1000
    if (Number.isFinite(seconds) && seconds > 0) this.#childCpuSeconds.inc(seconds)
  }
}
