import { performance, type EventLoopUtilization } from 'node:perf_hooks'
import type { ExecutionResult } from '../executors/executor.js'
import { cpuBetween, sampleCpu, type CpuSample } from './cpu-sampler.js'
import { cpuWarnings } from './cpu-warnings.js'
import { EventLoopDelay } from './event-loop-delay.js'
import { TimeSeries } from './time-series.js'
import { cpuCapacity, machineInfo } from './environment.js'
import type { OutcomeCollector } from './outcome-collector.js'
import type { Report } from './report-schema.js'

const ms = (value: number) => Number(value.toFixed(3))

/** What the spec asked of arrivals: a rate (open loop) and its process, or none (closed loop). */
export interface ArrivalsAsked {
  rate?: number | undefined
  process: 'constant' | 'poisson'
}

/**
 * The measuring window of one job: CPU, event-loop delay and utilisation from `start()` (just before the executor
 * runs) to `finish()` (just after it returns), turned into the report with what the collector gathered.
 */
export class ReportBuilder {
  readonly #delay = new EventLoopDelay()
  readonly #eluStart: EventLoopUtilization
  readonly cpuStart: CpuSample
  readonly series: TimeSeries
  #runStart: CpuSample | undefined
  #runEnd: CpuSample | undefined
  /** the executor marks the measured window (ExecutionPlan.window): the CPU figures cover it, as wallMs does */
  readonly window = {
    started: () => { this.#runStart = sampleCpu(); this.#runEnd = undefined },
    ended: () => { this.#runEnd = sampleCpu() }
  }

  constructor (series: { intervalMs: number, maxRows: number }) {
    this.#delay.start()
    this.#eluStart = performance.eventLoopUtilization()
    this.cpuStart = sampleCpu()
    this.series = new TimeSeries(this.cpuStart, series.intervalMs, series.maxRows)
  }

  /** Stops the event-loop monitor and the series' sampling; safe to call twice (the runner calls it in a finally). */
  stop (): void {
    this.#delay.stop()
    this.series.stop()
  }

  report (tasks: number, collector: OutcomeCollector, result: ExecutionResult, poolSize: number, arrivals: ArrivalsAsked): Omit<Report, 'warmup'> {
    this.stop()
    const cpuEnd = sampleCpu()
    const elu = performance.eventLoopUtilization(this.#eluStart)
    const delay = this.#delay.stats.summary()
    const totalMs = cpuEnd.at - this.cpuStart.at
    // The window the executor marked (start-up and join left out, as in wallMs); the whole run where it marked none.
    const cpu = cpuBetween(this.#runStart ?? this.cpuStart, this.#runEnd ?? cpuEnd, cpuCapacity(), result.childCpuInWindow ?? result.childCpu)
    const wallMs = Math.max(totalMs - result.startupMs - result.teardownMs, 0)
    return {
      wallMs: ms(wallMs),
      totalMs: ms(totalMs),
      startupMs: ms(result.startupMs),
      teardownMs: ms(result.teardownMs),
      tasksPerSec: wallMs > 0 ? Number((collector.done / (wallMs / 1000)).toFixed(2)) : 0,
      tasks: {
        total: tasks,
        done: collector.done,
        failed: collector.failed,
        notRun: tasks - collector.done - collector.failed
      },
      latencyMs: collector.latency.summary(),
      queueMs: collector.queue.summary(),
      responseMs: collector.response.summary(),
      histograms: { latencyMs: collector.latency.bins(), responseMs: collector.response.bins() },
      arrivals: {
        process: arrivals.rate === undefined ? 'closed' : arrivals.process,
        rate: arrivals.rate ?? null,
        // (n − 1) starts over (last start − first due): n tasks spaced 1/rate apart give exactly `rate`.
        achievedRate: arrivals.rate === undefined ? null : collector.startRate(),
        lateStarts: arrivals.rate === undefined ? 0 : collector.lateStarts
      },
      series: this.series.finish(cpuEnd),
      seriesIntervalMs: this.series.intervalMs,
      waitMs: collector.wait.summary(),
      gilWaitMs: collector.gilWait.summary(),
      cpu,
      warnings: result.cpuCovers === undefined
        ? cpuWarnings(cpu)
        : [...cpuWarnings(cpu).filter((warning) => !warning.startsWith('other load:')), `partial cpu: ${result.cpuCovers}`],
      eventLoop: {
        utilization: Number(elu.utilization.toFixed(4)),
        delayP99Ms: delay ? ms(delay.p99) : 0,
        delayMaxMs: delay ? ms(delay.max) : 0,
        delaySamples: delay?.count ?? 0
      },
      workers: collector.workers(wallMs),
      workerDeaths: result.workerDeaths,
      dispatches: result.dispatches ?? 0,
      ...(result.byReplica ? { byReplica: result.byReplica } : {}),
      ...(result.retriedSlices !== undefined ? { retriedSlices: result.retriedSlices } : {}),
      errors: collector.errors,
      errorsOmitted: collector.errorsOmitted,
      results: collector.results(),
      env: { ...machineInfo(), poolSize }
    }
  }
}
