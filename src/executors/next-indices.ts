import { epochNow, scheduledAt, waitUntil, type ArrivalSchedule } from './arrivals.js'
import type { BatchSizer } from './batch-sizer.js'
import type { TaskCursor } from './task-cursor.js'

/**
 * What a lane dispatches next (the pool's batches, the cluster's slices): closed loop, as many indices as the sizer
 * says; open loop, only tasks already due, waiting for the next one when none is. Empty once nothing is left or the
 * signal aborts.
 */
export function nextIndicesOf (cursor: TaskCursor, sizer: BatchSizer, arrivals: ArrivalSchedule | undefined, runStartedAt: number, signal: AbortSignal): () => Promise<number[]> {
  return async () => {
    if (!arrivals) return cursor.take(sizer.next(cursor.remaining))
    for (;;) {
      const next = cursor.peek()
      if (next === undefined || signal.aborted) return []
      await waitUntil(scheduledAt(arrivals, runStartedAt, next), signal)
      const now = epochNow()
      // Another lane may have taken it meanwhile: then wait for the one after.
      const indices = cursor.takeDue(sizer.next(cursor.remaining), (index) => scheduledAt(arrivals, runStartedAt, index) <= now)
      if (indices.length > 0) return indices
    }
  }
}
