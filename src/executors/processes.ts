import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Executor, ExecutionResult } from './executor.js'
import type { ChildToMain, CpuTimes, JobContext, MainToChild, TaskOutcome } from './messages.js'
import { liveWorkers } from './live-workers.js'
import { TaskCursor } from './task-cursor.js'
import { workerFile } from './worker-files.js'

/**
 * Shared memory cannot cross a process boundary: a child gets a copy of the job context without its
 * SharedArrayBuffers, and a workload then makes a process-local resource (each process its own connection pool,
 * as each Python process has its own).
 */
function withoutSharedMemory (value: unknown): unknown {
  if (value instanceof SharedArrayBuffer) return undefined
  if (Array.isArray(value)) return value.map(withoutSharedMemory)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withoutSharedMemory(inner)]))
  }
  return value
}

interface Child {
  process: ChildProcess
  outstanding: Set<number>
  cpu: CpuTimes
  said: 'nothing' | 'ready' | 'bye'
}

/**
 * processes: `concurrency` child processes forked for this job; the parent hands out chunks of `batch` indices
 * over IPC (like multiprocessing's chunksize). A child that dies fails the tasks of its unfinished chunk.
 */
export const runProcesses: Executor = (plan) => new Promise<ExecutionResult>((resolve) => {
  const count = plan.concurrency
  const job = withoutSharedMemory(plan.job) as JobContext
  const cursor = new TaskCursor(plan.tasks)
  const entry = fileURLToPath(workerFile('process-entry'))
  const children: Child[] = []
  const spawnedAt = performance.now()
  let startupMs = 0
  let started = false
  let lastByeAt = 0
  let ready = 0
  let exited = 0
  let deaths = 0
  let lastDeath = ''

  const send = (child: Child, message: MainToChild) => {
    if (child.process.connected) child.process.send(message)
  }
  const dispatch = (child: Child) => {
    if (plan.signal.aborted) return
    const indices = cursor.take(plan.batch)
    if (indices.length === 0) {
      send(child, { type: 'stop' })
      return
    }
    child.outstanding = new Set(indices)
    send(child, { type: 'run', indices })
  }
  const startWhenAllReady = () => {
    if (started || ready + deaths < count) return
    started = true
    startupMs = performance.now() - spawnedAt
    for (const child of children) if (child.said === 'ready') dispatch(child)
  }
  const stop = () => { for (const child of children) child.process.kill('SIGKILL') }
  plan.signal.addEventListener('abort', stop, { once: true })

  const finish = () => {
    plan.signal.removeEventListener('abort', stop)
    const childCpu = children.reduce((sum, child) => ({
      userMs: sum.userMs + child.cpu.userMs,
      systemMs: sum.systemMs + child.cpu.systemMs
    }), { userMs: 0, systemMs: 0 })
    const result: ExecutionResult = {
      startupMs,
      teardownMs: lastByeAt > 0 ? performance.now() - lastByeAt : 0,
      childCpu,
      workerDeaths: deaths
    }
    if (!plan.signal.aborted && !cursor.exhausted) {
      result.fatalError = `all ${count} child processes died before the job finished (last: ${lastDeath})`
    }
    resolve(result)
  }

  for (let slot = 0; slot < count; slot++) {
    const process = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    liveWorkers.processes++
    const child: Child = { process, outstanding: new Set(), cpu: { userMs: 0, systemMs: 0 }, said: 'nothing' }
    children.push(child)
    process.on('message', (message: ChildToMain) => {
      if (message.type === 'outcomes') {
        for (const outcome of message.outcomes) child.outstanding.delete(outcome.index)
        child.cpu = message.cpu
        if (message.outcomes.length > 0) plan.onOutcomes(message.outcomes)
        if (message.chunkDone) dispatch(child)
      } else if (message.type === 'ready') {
        child.said = 'ready'
        ready++
        startWhenAllReady()
      } else {
        child.said = 'bye'
        child.cpu = message.cpu
        lastByeAt = performance.now()
      }
    })
    process.on('error', () => { /* reported by 'exit' */ })
    process.on('exit', (code, signal) => {
      liveWorkers.processes--
      exited++
      if (child.said !== 'bye' && !plan.signal.aborted) {
        deaths++
        const pending = [...child.outstanding].sort((a, b) => a - b)
        lastDeath = `pid ${process.pid} exited with ${signal ?? `code ${code}`}` +
          (pending.length > 0 ? ` during task ${pending[0]}` : '')
        const failed: TaskOutcome[] = pending.map((index) => ({ index, ok: false, runMs: 0, error: lastDeath, worker: `pid ${process.pid}`, lost: true }))
        child.outstanding.clear()
        if (failed.length > 0) plan.onOutcomes(failed)
        startWhenAllReady()
      }
      if (exited === count) finish()
    })
    send(child, { type: 'init', job })
  }
  if (plan.signal.aborted) stop()
})
