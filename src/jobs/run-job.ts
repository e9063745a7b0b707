import { setTimeout as sleep } from 'node:timers/promises'
import { JobErrors } from '../errors.js'
import type { ExecutionResult, WarmupDone } from '../executors/executor.js'
import type { JobContext } from '../executors/messages.js'
import { OutcomeCollector } from '../measure/outcome-collector.js'
import { IoProbe } from '../measure/io-probe.js'
import { ReportBuilder } from '../measure/report-builder.js'
import type { Report } from '../measure/report-schema.js'
import { workloads } from '../workloads/index.js'
import type { PreparedJob } from '../workloads/workload.js'
import { abandon, abandonedMessage, abandonsAtShutdown } from './daemon-abandon.js'
import type { Job } from './job.js'
import { progressThrottle } from './progress-throttle.js'
import type { RunnerDeps } from './runner-deps.js'
import { executionPlanOf, jobContextOf } from './task-plan.js'
import { warmUp } from './warm-up.js'

/**
 * Runs one job to its end and measures it the same way whatever the mode: start delay, workload resources,
 * CPU and event-loop sampling around the executor, progress, the report, and the final status.
 * It never throws: anything that goes wrong ends the job as failed with a message.
 */
export async function runJob (job: Job, deps: RunnerDeps): Promise<void> {
  const { spec } = job
  job.status = 'running'
  job.startedAt = new Date()
  const timeout = setTimeout(() => job.stop('timeout'), spec.timeoutMs)
  let prepared: PreparedJob | undefined
  let measured: Awaited<ReturnType<typeof measureExecution>> | undefined
  let failure: Error | undefined
  let cleanupError: unknown
  try {
    if (spec.startDelayMs > 0) await sleep(spec.startDelayMs, undefined, { signal: job.signal }).catch(() => {})
    if (!job.signal.aborted) prepared = await workloads[spec.workload].prepare?.(spec.params, { jobId: job.id, seed: spec.seed })
    const warmup = job.signal.aborted ? null : await warmUp(job, deps, prepared?.shared)
    measured = await measureExecution(job, deps, prepared?.shared, warmup)
  } catch (error) {
    failure = error as Error
  } finally {
    clearTimeout(timeout)
    // Before the job is marked finished, so whoever waits for it finds the temp files gone — unless it is a daemon
    // job abandoned at shutdown, which leaves them as a Python daemon thread at exit would (daemon-abandon.ts).
    const abandoned = abandonsAtShutdown(job) && await abandon(job, prepared).catch(() => false)
    if (!abandoned) await prepared?.cleanup().catch((error: unknown) => { cleanupError = error })
  }
  if (measured && cleanupError !== undefined) {
    measured.report.warnings.push(`cleanup: the job's ${spec.workload} resources could not all be removed (${cleanupError instanceof Error ? cleanupError.message : String(cleanupError)}); the next start removes what is left`)
  }
  if (measured) finishJob(job, measured.result, measured.report)
  else job.finish('failed', null, JobErrors.internal(failure?.message ?? 'unknown error'))
}

type Measured = { result: ExecutionResult, report: Report }

async function measureExecution (job: Job, deps: RunnerDeps, shared: unknown, warmedBefore: WarmupDone | null): Promise<Measured> {
  const context = jobContextOf(job.id, job.spec, shared, deps)
  let probe: IoProbe | undefined
  try {
    // The convoy experiment's I/O thread, on the job's lock: started before the window so its start-up is in no figure.
    probe = job.spec.ioProbe && !job.signal.aborted ? await IoProbe.start(job.spec.ioProbe, context.gil) : undefined
    return await measureWindow(job, deps, context, probe, warmedBefore)
  } finally {
    // Whatever threw (setting up the window, the run, the report), the probe's thread never outlives the job. After a
    // report this is the answer it already read: stop() answers once.
    await probe?.stop()
  }
}

async function measureWindow (job: Job, deps: RunnerDeps, context: JobContext, probe: IoProbe | undefined, warmedBefore: WarmupDone | null): Promise<Measured> {
  const { spec } = job
  const mode = deps.modes.get(spec.mode)
  const collector = new OutcomeCollector(deps.config.MAX_JOB_ERRORS)
  const window = new ReportBuilder({ intervalMs: spec.seriesIntervalMs, maxRows: deps.config.MAX_SERIES_ROWS })
  // Each progress event carries the series row being filled (SSE clients draw live lines from it).
  const progress = progressThrottle(deps.config.PROGRESS_INTERVAL_MS, () => job.emit('progress', { ...job.progress, latest: window.series.latest() }))
  const observe = deps.observeTasks?.({ mode: spec.mode, workload: spec.workload, source: 'job' })
  let result: ExecutionResult = { startupMs: 0, teardownMs: 0, workerDeaths: 0 }
  let measured = false
  try {
    if (!job.signal.aborted) {
      const plan = executionPlanOf(spec, context, deps.config, job.signal, (outcomes) => {
        // Every outcome is counted once in the metrics and the job's progress, also one that arrives after a cancel
        // (a main-thread task still in flight): only the report, made when the window closed, leaves it out.
        observe?.(outcomes)
        for (const outcome of outcomes) {
          if (outcome.ok) job.progress.done++
          else job.progress.failed++
        }
        if (measured) return
        for (const outcome of outcomes) collector.add(outcome)
        window.series.add(outcomes)
        progress.touch()
      }, true)
      plan.window = probe ? probe.within(window.window) : window.window
      plan.onSummary = (summary) => {
        job.progress.done += summary.done
        job.progress.failed += summary.failed
        if (measured) return
        collector.merge(summary)
        window.series.addSummary(summary)
        progress.touch()
      }
      if (spec.warmup && mode.warmsOwnWorkers) {
        plan.warmup = spec.warmup
        const observeWarmup = deps.observeTasks?.({ mode: spec.mode, workload: spec.workload, source: 'warmup' })
        plan.onWarmupOutcomes = (outcomes) => observeWarmup?.(outcomes)
      }
      result = await mode.run(plan, deps.runtime)
      if (result.childCpu) deps.observeChildCpu?.(result.childCpu)
    }
  } finally {
    measured = true
    window.stop()
    progress.cancel()
  }
  const report = window.report(spec.tasks, collector, result, deps.config.POOL_SIZE, { rate: spec.rate, process: spec.arrivals ?? 'constant' })
  // Stopped after the report's clock has stopped: its last round is no part of wallMs.
  const probed = await probe?.stop()
  if (probed?.report) report.ioProbe = probed.report
  if (probed?.warning) report.warnings.push(probed.warning)
  const warmup = warmedBefore ?? result.warmup ?? null
  const ranBefore = `${spec.mode}/${spec.workload}`
  if (!warmup && mode.warmsOwnWorkers) {
    report.warnings.push(`cold: ${spec.mode} starts fresh workers for every job and this one had no warmup: their JIT compilation and per-thread data fall inside the measured window (add "warmup": {"ms": 500}; it runs inside the job's own workers)`)
  } else if (!warmup && !deps.warmed.has(ranBefore)) {
    report.warnings.push(`cold: the first ${spec.mode} run of ${spec.workload} since the service started, without warmup: JIT compilation and per-thread data fall inside the measured window (add "warmup": {"ms": 500})`)
  }
  deps.warmed.add(ranBefore)
  return { result, report: { ...report, warmup } }
}

function stopMessage (job: Job): string {
  if (job.stopReason !== 'shutdown') return 'cancelled by request'
  return job.spec.daemon
    ? abandonedMessage(job.leftBehind)
    : 'cancelled by service shutdown (a non-daemon job still running after DAEMON_SHUTDOWN_WAIT_MS)'
}

function finishJob (job: Job, result: ExecutionResult, report: Report): void {
  switch (job.stopReason) {
    case 'cancelled':
    case 'shutdown':
      job.finish('cancelled', report, JobErrors.cancelled(stopMessage(job)))
      return
    case 'timeout':
      job.finish('failed', report, JobErrors.timeout(job.spec.timeoutMs))
      return
  }
  if (result.fatalDependency) job.finish('failed', report, JobErrors.clusterDown(result.fatalDependency))
  else if (result.fatalError) job.finish('failed', report, JobErrors.workersDied(result.fatalError))
  else job.finish('succeeded', report)
}
