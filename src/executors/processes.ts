import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ExecutionPlan, ExecutionResult } from './executor.js'
import { liveWorkers } from './live-workers.js'
import type { ModeDefinition } from './mode-definition.js'
import type { ChildToMain, CpuTimes, JobContext, MainToChild, TaskOutcome } from './messages.js'
import { BatchSizer } from './batch-sizer.js'
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

interface Chunk {
  unreported: Set<number>
  /** when it was sent (ms since the epoch) */
  dispatchedAt: number
}

interface Child {
  process: ChildProcess
  label: string
  /** the chunks it was sent and has not finished, oldest (the one it runs) first: indices not yet reported */
  chunks: Chunk[]
  cpu: CpuTimes
  /** it was told to stop: it takes no more chunks */
  stopping: boolean
  ready: boolean
  saidBye: boolean
  gone: boolean
}

/** Chunks a child holds at once: the one it runs and the next, so it never waits for an IPC round trip between chunks. */
const CHUNKS_AHEAD = 2

/**
 * processes: `concurrency` child processes forked for this job; the parent hands out chunks of `batch` indices
 * (or BatchSizer's 'auto' sizes) over IPC, like multiprocessing's chunksize, to each child once all are ready.
 * Each child holds CHUNKS_AHEAD chunks, so the next one is already there when it finishes one (the round trip
 * through the parent, measured ≈ 0.5 ms with busy cores, no longer idles it). A child that dies (or cannot be
 * forked) fails the tasks of the chunk it was running; its chunk ahead never started, so those tasks go back to
 * the cursor for the others (children are told to stop only once all work is reported, so one is there to take it).
 */
const runProcesses = (plan: ExecutionPlan) => new Promise<ExecutionResult>((resolve) => {
  const job = withoutSharedMemory(plan.job) as JobContext
  const cursor = new TaskCursor(plan.tasks)
  const sizer = new BatchSizer({ setting: plan.batch, lanes: plan.concurrency, targetMs: plan.autoBatchMs, maxBatch: plan.maxBatch })
  const entry = fileURLToPath(workerFile('process-entry'))
  const children: Child[] = []
  const spawnedAt = performance.now()
  let startupMs = 0
  let started = false
  let spawning = true
  let lastByeAt = 0
  let deaths = 0
  let lastDeath = ''
  let forkError = ''

  const live = () => children.filter((child) => !child.gone)
  const send = (child: Child, message: MainToChild) => {
    if (!child.gone && child.process.connected) child.process.send(message)
  }
  /** Sends the child its next chunk; false when it sent none (nothing left, or the child cannot take one). */
  const dispatch = (child: Child): boolean => {
    if (plan.signal.aborted || child.gone || !child.process.connected || child.stopping) return false
    if (cursor.exhausted) {
      stopWhenAllDone()
      return false
    }
    const indices = cursor.take(sizer.next(cursor.remaining))
    child.chunks.push({ unreported: new Set(indices), dispatchedAt: performance.timeOrigin + performance.now() })
    send(child, { type: 'run', indices })
    return true
  }
  // Children stop only once every child has reported every chunk: until then a child that dies may give chunks
  // back, and an idle child must still be there to take them.
  const stopWhenAllDone = () => {
    if (!cursor.exhausted || live().some((child) => child.chunks.length > 0)) return
    for (const child of live()) {
      if (child.stopping) continue
      child.stopping = true
      send(child, { type: 'stop' })
    }
  }
  const startWhenAllReady = () => {
    if (started || spawning || plan.signal.aborted) return
    const alive = live()
    if (alive.length === 0 || !alive.every((child) => child.ready)) return
    started = true
    startupMs = performance.now() - spawnedAt
    for (let ahead = 0; ahead < CHUNKS_AHEAD; ahead++) for (const child of alive) dispatch(child)
  }
  const stop = () => { for (const child of live()) child.process.kill('SIGKILL') }
  plan.signal.addEventListener('abort', stop, { once: true })

  const finishIfAllGone = () => {
    if (spawning || live().length > 0) return
    plan.signal.removeEventListener('abort', stop)
    const childCpu = children.reduce((sum, child) => ({
      userMs: sum.userMs + child.cpu.userMs,
      systemMs: sum.systemMs + child.cpu.systemMs
    }), { userMs: 0, systemMs: 0 })
    const result: ExecutionResult = {
      startupMs,
      teardownMs: lastByeAt > 0 ? performance.now() - lastByeAt : 0,
      childCpu,
      workerDeaths: deaths,
      dispatches: sizer.dispatches
    }
    if (!plan.signal.aborted && !cursor.exhausted) {
      result.fatalError = forkError
        ? `could not start child processes: ${forkError}`
        : `all ${children.length} child processes died before the job finished (last: ${lastDeath})`
    }
    resolve(result)
  }

  /** Called once per child, whether it exited, was killed, or could never be forked. */
  const gone = (child: Child, how: string) => {
    if (child.gone) return
    child.gone = true
    liveWorkers.processes--
    if (!child.saidBye && !plan.signal.aborted) {
      deaths++
      const [running, ...ahead] = child.chunks
      child.chunks = []
      // The chunk it was running: some of its tasks may have run without being reported, so they count as failed.
      const pending = [...running?.unreported ?? []].sort((a, b) => a - b)
      // Chunks ahead never started: back to the cursor for the other children (not run, if none is left).
      cursor.giveBack(ahead.flatMap((chunk) => [...chunk.unreported]))
      lastDeath = `${child.label} ${how}` + (pending.length > 0 ? ` during task ${pending[0]}` : '')
      const failed: TaskOutcome[] = pending.map((index) => ({ index, ok: false, runMs: 0, error: lastDeath, worker: child.label, lost: true }))
      if (failed.length > 0) plan.onOutcomes(failed)
      if (started) {
        // dispatch() refuses a child whose IPC channel has closed before its 'close' event: stop trying that one.
        for (const other of live()) while (other.chunks.length < CHUNKS_AHEAD && dispatch(other));
        stopWhenAllDone()
      }
    }
    startWhenAllReady()
    finishIfAllGone()
  }

  const spawnChild = (): void => {
    const process = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    liveWorkers.processes++
    const child: Child = {
      process,
      label: `pid ${process.pid ?? '?'}`,
      chunks: [],
      cpu: { userMs: 0, systemMs: 0 },
      stopping: false,
      ready: false,
      saidBye: false,
      gone: false
    }
    children.push(child)
    process.on('message', (message: ChildToMain) => {
      if (child.gone) return
      if (message.type === 'outcomes') {
        const chunk = child.chunks[0]
        for (const outcome of message.outcomes) {
          chunk?.unreported.delete(outcome.index)
          if (chunk) outcome.dispatchedAt = chunk.dispatchedAt
        }
        child.cpu = message.cpu
        sizer.observe(message.outcomes)
        if (message.outcomes.length > 0) plan.onOutcomes(message.outcomes)
        if (message.chunkDone) {
          child.chunks.shift()
          dispatch(child)
        }
      } else if (message.type === 'ready') {
        child.ready = true
        startWhenAllReady()
      } else {
        child.saidBye = true
        child.cpu = message.cpu
        lastByeAt = performance.now()
      }
    })
    // A fork that fails (EAGAIN, ENOMEM…) emits 'error' and never 'exit'.
    process.on('error', (error) => {
      if (process.pid === undefined) {
        forkError = error.message
        gone(child, `could not be forked: ${error.message}`)
      }
    })
    // 'close', not 'exit': it comes after the IPC channel has delivered the child's last messages.
    process.on('close', (code, signal) => gone(child, `exited with ${signal ?? `code ${code}`}`))
    send(child, { type: 'init', job })
  }

  try {
    for (let slot = 0; slot < plan.concurrency && !plan.signal.aborted; slot++) spawnChild()
  } catch (error) {
    forkError = (error as Error).message
    stop()
  }
  spawning = false
  if (plan.signal.aborted) stop()
  startWhenAllReady()
  finishIfAllGone()
})

export const processesMode: ModeDefinition = {
  name: 'processes',
  description: 'child processes forked for the job, over IPC: multiprocessing; no shared heap',
  concurrencyMeans: 'processes (MAX_PROCESSES)',
  batches: true,
  allowsCrashInjection: true,
  allowsBlockingDriver: true,
  mainThread: false,
  singleTask: false,
  concurrencyLimit: (config) => ({ max: config.MAX_PROCESSES, variable: 'MAX_PROCESSES' }),
  workersFor: (concurrency) => concurrency,
  liveWorkers: () => liveWorkers.processes,
  run: runProcesses
}
