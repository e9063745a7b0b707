import { fork, type ChildProcess, type ForkOptions } from 'node:child_process'
import type { Worker, WorkerOptions } from 'node:worker_threads'
import { spawnThread } from './worker-files.js'

/** How a worker went: what to say about it, and (a child that never ran) why it could not start. */
export interface Gone {
  how: string
  /** what the thread threw last (an uncaught exception), if anything */
  error?: string
  startError?: string
}

/** A thread or a child process, as WorkerGroup sees it: the same five verbs for both. */
export interface WorkerHandle<Out> {
  readonly label: string
  /** false once it can no longer receive (a child whose IPC channel has closed) */
  readonly reachable: boolean
  send: (message: unknown) => void
  /** threads: terminate() (it interrupts Atomics.wait too); children: SIGKILL */
  kill: () => void
  onMessage: (listener: (message: Out) => void) => void
  /** once, after its last message has been delivered */
  onGone: (listener: (gone: Gone) => void) => void
}

/** A worker thread on one of workers/ (see spawnThread); labelled `thread <id>` (read now: −1 once it has exited). */
export function threadHandle<Out> (file: URL, options: WorkerOptions): WorkerHandle<Out> {
  const worker: Worker = spawnThread(file, options)
  const label = `thread ${worker.threadId}`
  let error: string | undefined
  worker.on('error', (thrown) => { error = thrown.message })
  return {
    label,
    get reachable () { return worker.threadId >= 0 },
    send: (message) => worker.postMessage(message),
    kill: () => { worker.terminate().catch(() => {}) },
    onMessage: (listener) => { worker.on('message', listener) },
    onGone: (listener) => {
      worker.on('exit', (code) => listener(error === undefined ? { how: `exited with code ${code}` } : { how: `exited with code ${code}: ${error}`, error }))
    }
  }
}

/** Children that have not exited: killed when this process exits (a forced process.exit() too), so none outlives it. */
const liveChildren = new Set<ChildProcess>()
let exitHookInstalled = false
function killChildrenAtExit (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => { for (const child of liveChildren) child.kill('SIGKILL') })
}

/**
 * A child process forked on `entry`, with an IPC channel; labelled `pid <pid>`. Only the parent decides when a
 * child ends:
 * - in a process group of its own (`detached`), so a Ctrl-C, which the terminal sends to the service's group,
 *   reaches the service alone; the service then ends its jobs as its shutdown says (a non-daemon job may finish)
 *   and kills the children (kill(), or at its exit);
 * - a child whose parent is gone without killing it (SIGKILL, a crash) leaves by itself: see parent-watch.ts.
 * Detached does not mean unref'd: the parent still holds the child's IPC channel and waits for its exit.
 */
export function processHandle<Out> (entry: string, options: ForkOptions): WorkerHandle<Out> {
  const child = fork(entry, [], { ...options, detached: process.platform !== 'win32' })
  killChildrenAtExit()
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
  child.on('error', () => { if (child.pid === undefined) liveChildren.delete(child) })
  let gone: ((gone: Gone) => void) | undefined
  let reported = false
  const report = (value: Gone) => {
    if (reported) return
    reported = true
    gone?.(value)
  }
  return {
    label: `pid ${child.pid ?? '?'}`,
    get reachable () { return child.connected },
    send: (message) => { if (child.connected) child.send(message as Parameters<typeof child.send>[0]) },
    kill: () => { child.kill('SIGKILL') },
    onMessage: (listener) => { child.on('message', listener as (message: unknown) => void) },
    onGone: (listener) => {
      gone = listener
      // A fork that fails (EAGAIN, ENOMEM…) emits 'error' and never 'exit'.
      child.on('error', (error) => {
        if (child.pid === undefined) report({ how: `could not be forked: ${error.message}`, startError: error.message })
      })
      // 'close', not 'exit': it comes after the IPC channel has delivered the child's last messages.
      child.on('close', (code, signal) => report({ how: `exited with ${signal ?? `code ${code}`}` }))
    }
  }
}
