import { fileURLToPath } from 'node:url'
import { liveWorkers } from '../threads/live-workers.js'
import { WorkerGroup, type Member } from '../threads/worker-group.js'
import { processHandle } from '../threads/worker-handle.js'
import { workerFile } from '../threads/worker-files.js'
import { epochNow, scheduledAt } from './arrivals.js'
import { BatchSizer } from './batch-sizer.js'
import type { ExecutionPlan, ExecutionResult } from './executor.js'
import type { ChildToMain, CpuTimes, JobContext, MainToChild, TaskOutcome } from './messages.js'
import type { ModeDefinition } from './mode-definition.js'
import { TaskCursor } from './task-cursor.js'
import { WarmPhase } from './warm-phase.js'

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
}

/** What the parent knows of one child beyond the group's own bookkeeping. */
interface ChildState {
  member: Member<ChildToMain>
  /** the chunks it was sent and has not finished, oldest (the one it runs) first: indices not yet reported */
  chunks: Chunk[]
  /** its own CPU time as last reported */
  cpu: CpuTimes
  /** its CPU time when the measured run began (ready, or warmed) and when it last reported outcomes of the run */
  cpuAtStart: CpuTimes
  cpuAtLastOutcome: CpuTimes
  /** it was told to stop: it takes no more chunks */
  stopping: boolean
  saidBye: boolean
}

const NO_CPU: CpuTimes = { userMs: 0, systemMs: 0 }
const addCpu = (sum: CpuTimes, more: CpuTimes): CpuTimes => ({ userMs: sum.userMs + more.userMs, systemMs: sum.systemMs + more.systemMs })
const cpuSince = (before: CpuTimes, after: CpuTimes): CpuTimes => ({ userMs: Math.max(after.userMs - before.userMs, 0), systemMs: Math.max(after.systemMs - before.systemMs, 0) })

/** Chunks a child holds at once: the one it runs and the next, so it never waits for an IPC round trip between chunks. */
const CHUNKS_AHEAD = 2

/**
 * processes: `concurrency` child processes forked for this job; the parent hands out chunks of `batch` indices
 * (or BatchSizer's 'auto' sizes) over IPC, like multiprocessing's chunksize, to each child once all are ready (and warm, WarmPhase).
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
  /** by slot, made the first time a child is heard of */
  const children: ChildState[] = []
  const childOf = (member: Member<ChildToMain>): ChildState =>
    (children[member.slot] ??= { member, chunks: [], cpu: NO_CPU, cpuAtStart: NO_CPU, cpuAtLastOutcome: NO_CPU, stopping: false, saidBye: false })
  const spawnedAt = performance.now()
  let startupMs = 0
  let started = false
  let lastByeAt = 0
  let deaths = 0
  let lastDeath = ''
  let forkError = ''
  const { arrivals } = plan
  let runStartedAt = 0
  /** open loop: set while no task is due yet; it hands out the next arrivals when they are */
  let arrivalTimer: NodeJS.Timeout | undefined

  const live = () => group.live.map(childOf)
  const send = (child: ChildState, message: MainToChild) => {
    if (!child.member.gone) child.member.handle.send(message)
  }
  /** Sends the child its next chunk; false when it sent none (nothing left, or the child cannot take one). */
  const dispatch = (child: ChildState): boolean => {
    if (plan.signal.aborted || child.member.gone || !child.member.handle.reachable || child.stopping) return false
    if (cursor.exhausted) {
      stopWhenAllDone()
      return false
    }
    const now = epochNow()
    // Open loop: a chunk carries only tasks already due; when none is, wait for the next arrival.
    const indices = arrivals
      ? cursor.takeDue(sizer.next(cursor.remaining), (index) => scheduledAt(arrivals, runStartedAt, index) <= now)
      : cursor.take(sizer.next(cursor.remaining))
    if (indices.length === 0) {
      wakeAtNextArrival()
      return false
    }
    child.chunks.push({ unreported: new Set(indices) })
    // Closed loop: due when handed out; the child adds its wait behind the chunk it was running (see process-entry).
    // Shipped input: made here, V8-serialized into the IPC message with the chunk (as Pool.map pickles a chunk).
    send(child, plan.inputOf ? { type: 'run', indices, dueAt: now, inputs: indices.map(plan.inputOf) } : { type: 'run', indices, dueAt: now })
    return true
  }
  /** Fills every live child up to CHUNKS_AHEAD chunks (dispatch() refuses a child whose IPC channel has closed). */
  const fillAll = () => { for (const child of live()) while (child.chunks.length < CHUNKS_AHEAD && dispatch(child)); }
  const wakeAtNextArrival = () => {
    const next = cursor.peek()
    if (!arrivals || arrivalTimer || next === undefined || plan.signal.aborted) return
    arrivalTimer = setTimeout(() => {
      arrivalTimer = undefined
      fillAll()
    }, Math.max(scheduledAt(arrivals, runStartedAt, next) - epochNow(), 0))
  }
  // Children stop only once every child has reported every chunk: until then a child that dies may give chunks
  // back, and an idle child must still be there to take them.
  const stopWhenAllDone = () => {
    if (!cursor.exhausted || live().some((child) => child.chunks.length > 0)) return
    // Every task is reported: the window closes; telling the children to stop and joining them is teardown.
    if (!live().some((child) => child.stopping)) plan.window?.ended()
    for (const child of live()) {
      if (child.stopping) continue
      child.stopping = true
      send(child, { type: 'stop' })
    }
  }
  const stop = () => {
    clearTimeout(arrivalTimer)
    group.kill()
  }

  const group: WorkerGroup<ChildToMain> = new WorkerGroup<ChildToMain>(processesMode.name, {
    isReady: (message) => message.type === 'ready',
    // Once the group owns the child (counted, killed with the rest): a job that cannot be sent fails the start.
    onSpawned: (member) => member.handle.send({ type: 'init', job } satisfies MainToChild),
    onReady: (member, message) => {
      if (message.type === 'ready') childOf(member).cpuAtStart = message.cpu
    },
    onAllReady: (members) => {
      startupMs = performance.now() - spawnedAt
      warm.begin(members, (member, ask) => member.handle.send(ask satisfies MainToChild), () => {
        started = true
        runStartedAt = epochNow()
        plan.window?.started()
        const alive = live()
        for (let ahead = 0; ahead < CHUNKS_AHEAD; ahead++) for (const child of alive) dispatch(child)
      })
    },
    onMessage: (member, message) => {
      const child = childOf(member)
      if (message.type === 'outcomes' && warm.took(message.outcomes)) {
        child.cpu = message.cpu
      } else if (message.type === 'warmed') {
        child.cpu = child.cpuAtStart = message.cpu
        warm.warmed(member)
      } else if (message.type === 'outcomes') {
        const chunk = child.chunks[0]
        for (const outcome of message.outcomes) {
          chunk?.unreported.delete(outcome.index)
          if (arrivals) outcome.dueAt = scheduledAt(arrivals, runStartedAt, outcome.index)
        }
        child.cpu = child.cpuAtLastOutcome = message.cpu
        sizer.observe(message.outcomes)
        if (message.outcomes.length > 0) plan.onOutcomes(message.outcomes)
        if (message.chunkDone) {
          child.chunks.shift()
          dispatch(child)
        }
      } else if (message.type === 'bye') {
        child.saidBye = true
        child.cpu = message.cpu
        lastByeAt = performance.now()
      }
    },
    // Called once per child, whether it exited, was killed, or could never be forked.
    onGone: (member, { how, startError }) => {
      const child = childOf(member)
      if (startError) forkError = startError
      if (child.saidBye || plan.signal.aborted) return
      deaths++
      const [running, ...ahead] = child.chunks
      child.chunks = []
      // The chunk it was running: some of its tasks may have run without being reported, so they count as failed.
      const pending = [...running?.unreported ?? []].sort((a, b) => a - b)
      // Chunks ahead never started: back to the cursor for the other children (not run, if none is left).
      cursor.giveBack(ahead.flatMap((chunk) => [...chunk.unreported]))
      lastDeath = `${member.handle.label} ${how}` + (pending.length > 0 ? ` during task ${pending[0]}` : '')
      const failed: TaskOutcome[] = pending.map((index) => ({ index, ok: false, runMs: 0, error: lastDeath, worker: member.handle.label, lost: true }))
      if (failed.length > 0) plan.onOutcomes(failed)
      warm.check()
      if (started) {
        fillAll()
        stopWhenAllDone()
      }
    },
    onAllGone: () => {
      clearTimeout(arrivalTimer)
      plan.signal.removeEventListener('abort', stop)
      const all = group.members.map(childOf)
      const result: ExecutionResult = {
        startupMs,
        teardownMs: lastByeAt > 0 ? performance.now() - lastByeAt : 0,
        childCpu: all.reduce((sum, child) => addCpu(sum, child.cpu), NO_CPU),
        // A child that ran nothing of the run (it died warming up) spent nothing inside the window.
        childCpuInWindow: all.reduce((sum, child) => child.cpuAtLastOutcome === NO_CPU ? sum : addCpu(sum, cpuSince(child.cpuAtStart, child.cpuAtLastOutcome)), NO_CPU),
        workerDeaths: deaths,
        dispatches: sizer.dispatches
      }
      if (warm.done) result.warmup = warm.done
      if (!plan.signal.aborted && !cursor.exhausted) {
        const startError = forkError || group.spawnError
        result.fatalError = startError
          ? `could not start child processes: ${startError}`
          : `all ${group.members.length} child processes died before the job finished (last: ${lastDeath})`
      }
      resolve(result)
    }
  })
  const warm = new WarmPhase(plan, group)
  plan.signal.addEventListener('abort', stop, { once: true })
  group.spawnAll(plan.concurrency, () =>
    processHandle<ChildToMain>(entry, {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // The parent's flags (a loader under tsx) plus a heap cap: a child that passes it dies alone.
      execArgv: [...process.execArgv, `--max-old-space-size=${plan.workerHeapMb}`]
    }),
  () => !plan.signal.aborted)
})

export const processesMode: ModeDefinition = {
  name: 'processes',
  description: 'child processes forked for the job, over IPC: multiprocessing; no shared heap',
  concurrencyMeans: 'processes (MAX_PROCESSES)',
  batches: true,
  allowsCrashInjection: true,
  allowsBlockingDriver: true,
  warmsOwnWorkers: true,
  sharesMemory: false,
  dispatchesHeld: CHUNKS_AHEAD,
  // A child with its parent-watch thread is ≈ 55 MiB of RSS (measured on the 2-core VM); its first tasks add more.
  workerMemoryBytes: 64 * 1024 * 1024,
  mainThread: false,
  singleTask: false,
  concurrencyLimit: (config) => ({ max: config.MAX_PROCESSES, variable: 'MAX_PROCESSES' }),
  workersFor: (concurrency) => concurrency,
  liveWorkers: () => liveWorkers.count(processesMode.name),
  run: runProcesses
}
