import { liveWorkers } from '../threads/live-workers.js'
import { WorkerGroup } from '../threads/worker-group.js'
import { threadHandle } from '../threads/worker-handle.js'
import { workerFile } from '../threads/worker-files.js'
import type { ExecutionPlan, ExecutionResult } from './executor.js'
import { epochNow } from './arrivals.js'
import { ThreadControl, type TaskOutcome, type ThreadGo, type ThreadInput, type ThreadToMain, type ThreadWorkerData } from './messages.js'
import type { ModeDefinition } from './mode-definition.js'
import { WarmPhase } from './warm-phase.js'

/**
 * threads: `concurrency` fresh worker threads for this job. They start, all report ready (start-up time), run their
 * share of the warm-up if the job has one (WarmPhase), get one 'go', pull indices from a shared atomic counter until none are left, report 'done' and are joined.
 * A thread that dies fails the task it was running (read from its cell in shared memory); the others go on.
 */
const runThreads = (plan: ExecutionPlan) => new Promise<ExecutionResult>((resolve) => {
  const control = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (ThreadControl.RUNNING + plan.concurrency))
  const cells = new Int32Array(control)
  cells.fill(-1, ThreadControl.RUNNING)
  const reported = new Uint8Array(plan.tasks)
  const report = (outcomes: TaskOutcome[]) => {
    for (const outcome of outcomes) reported[outcome.index] = 1
    plan.onOutcomes(outcomes)
  }

  /** slots whose thread said 'done' (it finished; its exit is a join, not a death) */
  const done = new Set<number>()
  const spawnedAt = performance.now()
  let startupMs = 0
  let lastDoneAt = 0
  let deaths = 0
  let lastDeath = ''

  // Cancel: no thread claims another task; a running one ends with its thread (at once), or — for a workload whose
  // task must not be cut mid-I/O (plan.cancelGraceMs) — may finish and say 'done' first, up to the grace.
  let graceTimer: NodeJS.Timeout | undefined
  const stop = () => {
    Atomics.store(cells, ThreadControl.STOP, 1)
    if (plan.cancelGraceMs > 0) graceTimer = setTimeout(() => group.kill(), plan.cancelGraceMs)
    else group.kill()
  }

  const group: WorkerGroup<ThreadToMain> = new WorkerGroup<ThreadToMain>(threadsMode.name, {
    isReady: (message) => message.type === 'ready',
    onAllReady: (threads) => {
      startupMs = performance.now() - spawnedAt
      warm.begin(threads, (thread, ask) => thread.handle.send(ask), () => {
        plan.window?.started()
        const go: ThreadGo = { type: 'go', runStartedAt: epochNow() }
        for (const thread of group.live) thread.handle.send(go)
      })
    },
    onMessage: (thread, message) => {
      if (message.type === 'input') {
        // Shipped input: the thread claimed this task; its bytes are made here and copied to it (structured clone).
        thread.handle.send({ type: 'input', index: message.index, input: plan.inputOf!(message.index) } satisfies ThreadInput)
      } else if (message.type === 'outcomes') {
        if (!warm.took(message.outcomes)) report(message.outcomes)
      } else if (message.type === 'warmed') {
        warm.warmed(thread)
      } else if (message.type === 'done') {
        done.add(thread.slot)
        lastDoneAt = performance.now()
        // The last thread to finish closes the window (its join is teardown).
        if (group.live.every((member) => done.has(member.slot))) plan.window?.ended()
        thread.handle.kill() // join: the thread has nothing left to do
      }
    },
    onGone: (thread, { how }) => {
      warm.check()
      if (done.has(thread.slot) || plan.signal.aborted) return
      deaths++
      const running = Atomics.load(cells, ThreadControl.RUNNING + thread.slot)
      lastDeath = `${thread.handle.label} ${how}` + (running >= 0 ? ` while running task ${running}` : '')
      if (running >= 0 && !reported[running]) {
        report([{ index: running, ok: false, runMs: 0, error: lastDeath, worker: thread.handle.label, lost: true }])
      }
    },
    onAllGone: () => {
      clearTimeout(graceTimer)
      plan.signal.removeEventListener('abort', stop)
      const result: ExecutionResult = {
        startupMs,
        teardownMs: lastDoneAt > 0 ? performance.now() - lastDoneAt : 0,
        workerDeaths: deaths
      }
      if (warm.done) result.warmup = warm.done
      if (!plan.signal.aborted) {
        // Claimed by a thread that died before it could report them: failed, so every task is accounted for.
        const claimed = Math.min(Atomics.load(cells, ThreadControl.NEXT), plan.tasks)
        const lost: TaskOutcome[] = []
        for (let index = 0; index < claimed; index++) {
          if (!reported[index]) lost.push({ index, ok: false, runMs: 0, error: `result lost: ${lastDeath}`, worker: 'unknown', lost: true })
        }
        if (lost.length > 0) report(lost)
        if (claimed < plan.tasks) {
          result.fatalError = group.spawnError
            ? `could not start threads: ${group.spawnError}`
            : `all ${group.members.length} threads died before the job finished (last: ${lastDeath})`
        }
      }
      resolve(result)
    }
  })
  const warm = new WarmPhase(plan, group)
  plan.signal.addEventListener('abort', stop, { once: true })
  group.spawnAll(plan.concurrency, (slot) => {
    const workerData: ThreadWorkerData = { job: plan.job, slot, tasks: plan.tasks, control }
    if (plan.arrivals) workerData.arrivals = plan.arrivals
    return threadHandle<ThreadToMain>(workerFile('thread-entry'), { workerData, resourceLimits: { maxOldGenerationSizeMb: plan.workerHeapMb } })
  }, () => !plan.signal.aborted)
})

export const threadsMode: ModeDefinition = {
  name: 'threads',
  description: 'fresh worker_threads, started for the job and joined: thread start cost, join',
  concurrencyMeans: 'threads (MAX_THREADS)',
  batches: false,
  allowsCrashInjection: true,
  allowsBlockingDriver: true,
  warmsOwnWorkers: true,
  sharesMemory: true,
  // A bare worker thread adds 8.5 MiB of RSS (measured on the 2-core VM); the entry's code and first tasks, more.
  workerMemoryBytes: 12 * 1024 * 1024,
  mainThread: false,
  singleTask: false,
  concurrencyLimit: (config) => ({ max: config.MAX_THREADS, variable: 'MAX_THREADS' }),
  workersFor: (concurrency) => concurrency,
  liveWorkers: () => liveWorkers.count(threadsMode.name),
  run: runThreads
}
