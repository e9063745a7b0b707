import type { Admission } from '../admission/admission.js'
import type { Config } from '../config.js'
import type { CpuTimes, TaskOutcome } from '../executors/messages.js'
import type { ModeRuntime } from '../executors/mode-definition.js'
import type { ModeRegistry } from '../executors/registry.js'
import type { WorkloadName } from '../workloads/index.js'

/** What ran a task: a job, a job's warm-up, a GET /work request or a timer fire (a label of the task metrics). */
export type TaskSource = 'job' | 'warmup' | 'work' | 'timer'

export interface TaskLabels {
  mode: string
  workload: WorkloadName
  source: TaskSource
}

/** Made once per run; told every outcome as it arrives (the task metrics). */
export type ObserveTasks = (labels: TaskLabels) => (outcomes: TaskOutcome[]) => void

/** What runs tasks needs from the service: its config, modes and their runtime, the upstream, the metrics. */
export interface RunnerDeps {
  config: Config
  modes: ModeRegistry
  runtime: ModeRuntime
  upstreamUrl: string
  /** the cores' budget: run slots (jobs, labs) and task slots (/work, timer fires) */
  admission: Admission
  observeTasks?: ObserveTasks
  /** `mode/workload` pairs that have run since the service started: a job without warmup and without one is cold */
  warmed: Set<string>
  /** what child processes reported they used, once a run has ended (the service's CPU metrics) */
  observeChildCpu?: (cpu: CpuTimes) => void
}
