import type { Worker } from 'node:worker_threads'
import type { ExecutionPlan, ExecutionResult } from './executor.js'
import { liveWorkers } from './live-workers.js'
import type { ModeDefinition } from './mode-definition.js'
import { ThreadControl, type TaskOutcome, type ThreadToMain, type ThreadWorkerData } from './messages.js'
import { spawnThread, workerFile } from './worker-files.js'

interface Thread {
  worker: Worker
  slot: number
  /** read at spawn: threadId is −1 once the thread has exited */
  label: string
  ready: boolean
  done: boolean
  gone: boolean
  error: string
}

/**
 * threads: `concurrency` fresh worker threads for this job. They start, all report ready (start-up time), get one
 * 'go', pull indices from a shared atomic counter until none are left, report 'done' and are joined.
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

  const threads: Thread[] = []
  const spawnedAt = performance.now()
  let startupMs = 0
  let started = false
  let spawning = true
  let lastDoneAt = 0
  let deaths = 0
  let lastDeath = ''
  let spawnError = ''

  const live = () => threads.filter((thread) => !thread.gone)
  const stop = () => {
    Atomics.store(cells, ThreadControl.STOP, 1)
    for (const thread of live()) thread.worker.terminate().catch(() => {})
  }
  plan.signal.addEventListener('abort', stop, { once: true })

  const startWhenAllReady = () => {
    if (started || spawning || plan.signal.aborted) return
    const alive = live()
    if (alive.length === 0 || !alive.every((thread) => thread.ready)) return
    started = true
    startupMs = performance.now() - spawnedAt
    for (const thread of alive) thread.worker.postMessage('go')
  }

  const finishIfAllGone = () => {
    if (spawning || live().length > 0) return
    plan.signal.removeEventListener('abort', stop)
    const result: ExecutionResult = {
      startupMs,
      teardownMs: lastDoneAt > 0 ? performance.now() - lastDoneAt : 0,
      workerDeaths: deaths
    }
    if (!plan.signal.aborted) {
      // Claimed by a thread that died before it could report them: failed, so every task is accounted for.
      const claimed = Math.min(Atomics.load(cells, ThreadControl.NEXT), plan.tasks)
      const lost: TaskOutcome[] = []
      for (let index = 0; index < claimed; index++) {
        if (!reported[index]) lost.push({ index, ok: false, runMs: 0, error: `result lost: ${lastDeath}`, worker: 'unknown', lost: true })
      }
      if (lost.length > 0) report(lost)
      if (claimed < plan.tasks) {
        result.fatalError = spawnError
          ? `could not start threads: ${spawnError}`
          : `all ${threads.length} threads died before the job finished (last: ${lastDeath})`
      }
    }
    resolve(result)
  }

  const spawn = (slot: number) => {
    const workerData: ThreadWorkerData = { job: plan.job, slot, tasks: plan.tasks, control }
    const worker = spawnThread(workerFile('thread-entry'), { workerData })
    liveWorkers.threads++
    const thread: Thread = { worker, slot, label: `thread ${worker.threadId}`, ready: false, done: false, gone: false, error: '' }
    threads.push(thread)
    worker.on('message', (message: ThreadToMain) => {
      if (message.type === 'outcomes') {
        report(message.outcomes)
      } else if (message.type === 'ready') {
        thread.ready = true
        startWhenAllReady()
      } else {
        thread.done = true
        lastDoneAt = performance.now()
        worker.terminate().catch(() => {}) // join: the thread has nothing left to do
      }
    })
    worker.on('error', (error) => { thread.error = `: ${error.message}` })
    worker.on('exit', (code) => {
      thread.gone = true
      liveWorkers.threads--
      if (!thread.done && !plan.signal.aborted) {
        deaths++
        const running = Atomics.load(cells, ThreadControl.RUNNING + slot)
        lastDeath = `${thread.label} exited with code ${code}${thread.error}` + (running >= 0 ? ` while running task ${running}` : '')
        if (running >= 0 && !reported[running]) {
          report([{ index: running, ok: false, runMs: 0, error: lastDeath, worker: thread.label, lost: true }])
        }
      }
      startWhenAllReady()
      finishIfAllGone()
    })
  }

  try {
    for (let slot = 0; slot < plan.concurrency && !plan.signal.aborted; slot++) spawn(slot)
  } catch (error) {
    // new Worker throws at once when the OS refuses a thread (EAGAIN): stop the ones already started.
    spawnError = (error as Error).message
    stop()
  }
  spawning = false
  if (plan.signal.aborted) stop()
  startWhenAllReady()
  finishIfAllGone()
})

export const threadsMode: ModeDefinition = {
  name: 'threads',
  description: 'fresh worker_threads, started for the job and joined: thread start cost, join',
  concurrencyMeans: 'threads (MAX_THREADS)',
  batches: false,
  allowsCrashInjection: true,
  allowsBlockingDriver: true,
  mainThread: false,
  singleTask: false,
  concurrencyLimit: (config) => ({ max: config.MAX_THREADS, variable: 'MAX_THREADS' }),
  workersFor: (concurrency) => concurrency,
  liveWorkers: () => liveWorkers.threads,
  run: runThreads
}
