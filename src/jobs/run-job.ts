import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Config } from '../config.js'
import type { Executor, ExecutionResult, Mode } from '../executors/executor.js'
import type { JobContext, TaskOutcome } from '../executors/messages.js'
import { cpuBetween, sampleCpu } from '../measure/cpu-sampler.js'
import { cpuCapacity, machineInfo } from '../measure/environment.js'
import { Gil } from '../workloads/gil.js'
import { workloads } from '../workloads/index.js'
import type { PreparedJob } from '../workloads/workload.js'
import type { Job } from './job.js'
import { OutcomeCollector } from './outcome-collector.js'
import { progressThrottle } from './progress-throttle.js'
import type { Report } from './report-schema.js'

export interface JobRunnerDeps {
  config: Config
  executors: Record<Mode, Executor>
  upstreamUrl: string
  /** made once per job when it starts dispatching; told every outcome as it arrives (metrics) */
  observeTasks?: (job: Job, dispatchStartedAt: number) => (outcomes: TaskOutcome[]) => void
}

const ms = (value: number) => Number(value.toFixed(3))

const DELAY_RESOLUTION_MS = 10
/** monitorEventLoopDelay records each whole timer interval (an idle loop reads ≈ 10 ms): keep only the lateness. */
const lateness = (intervalNs: number) => ms(Math.max(intervalNs / 1e6 - DELAY_RESOLUTION_MS, 0))

/**
 * Runs one job to its end and measures it the same way whatever the mode: start delay, workload resources,
 * CPU and event-loop sampling around the executor, progress, the report, and the final status.
 * It never throws: anything that goes wrong ends the job as failed with a message.
 */
export async function runJob (job: Job, deps: JobRunnerDeps): Promise<void> {
  const { spec } = job
  job.status = 'running'
  job.startedAt = new Date()
  const timeout = setTimeout(() => job.stop('timeout'), spec.timeoutMs)
  let prepared: PreparedJob | undefined
  let measured: Awaited<ReturnType<typeof measureExecution>> | undefined
  let failure: Error | undefined
  try {
    if (spec.startDelayMs > 0) await sleep(spec.startDelayMs, undefined, { signal: job.signal }).catch(() => {})
    if (!job.signal.aborted) prepared = await workloads[spec.workload].prepare?.(spec.params, job.id)
    measured = await measureExecution(job, deps, prepared?.shared)
  } catch (error) {
    failure = error as Error
  } finally {
    clearTimeout(timeout)
    // Before the job is marked finished, so whoever waits for it finds the temp files gone.
    await prepared?.cleanup().catch(() => {})
  }
  if (measured) finishJob(job, measured.result, measured.report)
  else job.finish('failed', null, { code: 'JOB_INTERNAL_ERROR', message: failure?.message ?? 'unknown error' })
}

async function measureExecution (job: Job, deps: JobRunnerDeps, shared: unknown): Promise<{ result: ExecutionResult, report: Report }> {
  const { spec } = job
  const collector = new OutcomeCollector(deps.config.MAX_JOB_ERRORS)
  const progress = progressThrottle(deps.config.PROGRESS_INTERVAL_MS, () => job.emit('progress', { ...job.progress }))
  const context: JobContext = {
    jobId: job.id,
    workload: spec.workload,
    params: spec.params,
    seed: spec.seed,
    shared,
    upstreamUrl: deps.upstreamUrl
  }
  if (spec.crashAtTask !== undefined) context.crashAtTask = spec.crashAtTask
  if (spec.gil) context.gil = { id: job.id, switchIntervalMs: spec.switchIntervalMs, buffer: Gil.allocate() }

  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS })
  delay.enable()
  const eluStart = performance.eventLoopUtilization()
  const cpuStart = sampleCpu()
  const observe = deps.observeTasks?.(job, performance.timeOrigin + cpuStart.at)
  let result: ExecutionResult = { startupMs: 0, teardownMs: 0, workerDeaths: 0 }
  let measured = false
  try {
    if (!job.signal.aborted) {
      result = await deps.executors[spec.mode]({
        job: context,
        tasks: spec.tasks,
        concurrency: spec.concurrency,
        batch: spec.batch,
        autoBatchMs: deps.config.AUTO_BATCH_MS,
        maxBatch: deps.config.MAX_BATCH,
        signal: job.signal,
        yieldEveryMs: deps.config.INLINE_YIELD_MS,
        onOutcomes: (outcomes) => {
          if (measured) return // a task still in flight after a cancel: the report is already made
          for (const outcome of outcomes) collector.add(outcome)
          job.progress.done = collector.done
          job.progress.failed = collector.failed
          observe?.(outcomes)
          progress.touch()
        }
      })
    }
  } finally {
    measured = true
    delay.disable()
    progress.cancel()
  }
  const cpuEnd = sampleCpu()
  const elu = performance.eventLoopUtilization(eluStart)

  const totalMs = cpuEnd.at - cpuStart.at
  const wallMs = Math.max(totalMs - result.startupMs - result.teardownMs, 0)
  const report: Report = {
    wallMs: ms(wallMs),
    totalMs: ms(totalMs),
    startupMs: ms(result.startupMs),
    teardownMs: ms(result.teardownMs),
    tasksPerSec: wallMs > 0 ? Number((collector.done / (wallMs / 1000)).toFixed(2)) : 0,
    tasks: {
      total: spec.tasks,
      done: collector.done,
      failed: collector.failed,
      notRun: spec.tasks - collector.done - collector.failed
    },
    latencyMs: collector.latency.summary(),
    waitMs: collector.wait.summary(),
    gilWaitMs: collector.gilWait.summary(),
    cpu: cpuBetween(cpuStart, cpuEnd, cpuCapacity(), result.childCpu),
    eventLoop: {
      utilization: Number(elu.utilization.toFixed(4)),
      delayP99Ms: delay.count > 0 ? lateness(delay.percentile(99)) : 0,
      delayMaxMs: delay.count > 0 ? lateness(delay.max) : 0
    },
    workers: collector.workers(wallMs),
    workerDeaths: result.workerDeaths,
    dispatches: result.dispatches ?? 0,
    errors: collector.errors,
    errorsOmitted: collector.errorsOmitted,
    results: collector.results(),
    env: { ...machineInfo(), poolSize: deps.config.POOL_SIZE }
  }
  return { result, report }
}

function stopMessage (job: Job): string {
  if (job.stopReason !== 'shutdown') return 'cancelled by request'
  return job.spec.daemon
    ? 'cancelled by service shutdown (a daemon job is abandoned at once)'
    : 'cancelled by service shutdown (a non-daemon job still running after DAEMON_SHUTDOWN_WAIT_MS)'
}

function finishJob (job: Job, result: ExecutionResult, report: Report): void {
  switch (job.stopReason) {
    case 'cancelled':
    case 'shutdown':
      job.finish('cancelled', report, { code: 'JOB_CANCELLED', message: stopMessage(job) })
      return
    case 'timeout':
      job.finish('failed', report, { code: 'JOB_TIMEOUT', message: `the job ran longer than timeoutMs (${job.spec.timeoutMs} ms)` })
      return
  }
  if (result.fatalError) job.finish('failed', report, { code: 'JOB_WORKERS_DIED', message: result.fatalError })
  else job.finish('succeeded', report)
}
