import type { Worker } from 'node:worker_threads'
import type { Executor, ExecutionResult } from './executor.js'
import { liveWorkers } from './live-workers.js'
import { ThreadControl, type TaskOutcome, type ThreadToMain, type ThreadWorkerData } from './messages.js'
import { spawnThread, workerFile } from './worker-files.js'

/**
 * threads: `concurrency` fresh worker threads for this job. They start, all report ready (start-up time), get one
 * 'go', pull indices from a shared atomic counter until none are left, report 'done' and are joined.
 * A thread that dies fails the task it was running (read from its cell in shared memory); the others go on.
 */
export const runThreads: Executor = (plan) => new Promise<ExecutionResult>((resolve) => {
  const count = plan.concurrency
  const control = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (ThreadControl.RUNNING + count))
  const cells = new Int32Array(control)
  cells.fill(-1, ThreadControl.RUNNING)
  const reported = new Uint8Array(plan.tasks)
  const report = (outcomes: TaskOutcome[]) => {
    for (const outcome of outcomes) reported[outcome.index] = 1
    plan.onOutcomes(outcomes)
  }

  const spawnedAt = performance.now()
  let startupMs = 0
  let lastDoneAt = 0
  let ready = 0
  let exited = 0
  let deaths = 0
  let lastDeath = ''
  const done = new Set<number>()
  const threads: Worker[] = []

  const stop = () => {
    Atomics.store(cells, ThreadControl.STOP, 1)
    for (const thread of threads) thread.terminate().catch(() => {})
  }
  plan.signal.addEventListener('abort', stop, { once: true })

  const startWhenAllReady = () => {
    if (ready + deaths < count || startupMs > 0) return
    startupMs = performance.now() - spawnedAt
    for (const thread of threads) thread.postMessage('go')
  }

  const finish = () => {
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
      if (claimed < plan.tasks) result.fatalError = `all ${count} threads died before the job finished (last: ${lastDeath})`
    }
    resolve(result)
  }

  for (let slot = 0; slot < count; slot++) {
    const workerData: ThreadWorkerData = { job: plan.job, slot, tasks: plan.tasks, control }
    const thread = spawnThread(workerFile('thread-entry'), { workerData })
    const label = `thread ${thread.threadId}` // read now: threadId is -1 once the thread has exited
    liveWorkers.threads++
    let error = ''
    thread.on('message', (message: ThreadToMain) => {
      if (message.type === 'outcomes') report(message.outcomes)
      else if (message.type === 'ready') { ready++; startWhenAllReady() } else {
        done.add(slot)
        lastDoneAt = performance.now()
        thread.terminate().catch(() => {})
      }
    })
    thread.on('error', (err) => { error = `: ${err.message}` })
    thread.on('exit', (code) => {
      liveWorkers.threads--
      exited++
      if (!done.has(slot) && !plan.signal.aborted) {
        deaths++
        const running = Atomics.load(cells, ThreadControl.RUNNING + slot)
        lastDeath = `${label} exited with code ${code}${error}` +
          (running >= 0 ? ` while running task ${running}` : '')
        if (running >= 0 && !reported[running]) {
          report([{ index: running, ok: false, runMs: 0, error: lastDeath, worker: label, lost: true }])
        }
        startWhenAllReady()
      }
      if (exited === count) finish()
    })
    threads.push(thread)
  }
  if (plan.signal.aborted) stop()
})
