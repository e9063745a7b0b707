import { setImmediate as nextTurn } from 'node:timers/promises'

/**
 * Main-thread modes run tasks back to back; a synchronous task never yields, so without this a long inline job
 * would leave no turn for its own cancel request, its timeout or its progress events. One turn every
 * `everyMs` keeps the lesson (requests still wait up to that long) and the controls working.
 */
export function eventLoopTurns (everyMs: number): () => Promise<void> | undefined {
  let last = performance.now()
  return () => {
    const now = performance.now()
    if (now - last < everyMs) return undefined
    last = now
    return nextTurn()
  }
}
