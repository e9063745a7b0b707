/**
 * CPU time of one OS thread, read by any thread of the process (Linux): a worker names its thread with
 * `ownThreadId()`, and its clock is read with `threadClock(id)` — by the thread itself, or by the main thread for a
 * thread stuck in a wait, just before it is terminated. Node 20 has no per-thread clock (worker.cpuUsage() needs
 * Node >= 24.6, and process.cpuUsage() sums every thread).
 *
 * /proc/<pid>/task/<tid>/schedstat is the scheduler's own account, in ns (not the 10 ms ticks of /proc/…/stat):
 *   field 1: time the thread ran on a CPU
 *   field 2: time it was runnable but waited for a core (other threads, other processes had them)
 * Sleeping — on the queue, on the emulated GIL — is in neither. Summed over threads and divided by wall time, the
 * first is how many cores they kept busy (the machine's other load lowers it), and the first two together how many
 * of them were running or waiting for a core at once: for threads that never sleep (a cpu loop without a GIL) that
 * is their number, whatever the load — other load only moves time from the first field to the second.
 */
import { readFileSync, readlinkSync } from 'node:fs'

export interface ThreadClock {
  /** ran on a CPU, ms */
  runMs: number
  /** runnable, waiting for a core, ms */
  coreWaitMs: number
}

/** The calling thread's id as /proc names it ("<pid>/task/<tid>"), or undefined where there is no /proc. */
export function ownThreadId (): string | undefined {
  try {
    return readlinkSync('/proc/thread-self')
  } catch {
    return undefined
  }
}

/** The thread `id`'s clock so far (from ownThreadId); undefined when it cannot be read (thread gone, no /proc). */
export function threadClock (id: string | undefined): ThreadClock | undefined {
  if (id === undefined) return undefined
  try {
    const [run, wait] = readFileSync(`/proc/${id}/schedstat`, 'latin1').split(' ', 2).map(Number)
    if (!Number.isFinite(run) || !Number.isFinite(wait)) return undefined
    return { runMs: run! / 1e6, coreWaitMs: wait! / 1e6 }
  } catch {
    return undefined
  }
}
