/**
 * What the producer/consumer lab's main thread and its threads share: the stop styles, the work kinds, the layout of
 * the per-thread statistics and of the control cells in shared memory, and the messages.
 *
 *   stats   Int32 × STAT_CELLS per thread (slot = producers first, then consumers), written by that thread only:
 *           COUNT SUM XOR DUPLICATES BLOCKED_US TIMEOUTS STATE GIL_WAIT_US, then its clock (src/measure/thread-cpu.ts)
 *           CPU_AT_GO_US CPU_US CORE_WAIT_AT_GO_US CORE_WAIT_US (at go, and from go to its return) — read by the main
 *           thread at the end, even for a
 *           thread that never returned (a stuck consumer, a daemon one), so every count survives its termination.
 *   control Int32 × CONTROL_CELLS: EVENT (seed-event: the threading.Event), PRODUCERS_LEFT (sentinel: the last
 *           producer puts the sentinels), ARRIVED (seed-event: producers at their last put).
 */

export const STOP_STYLES = ['sentinel', 'join', 'shutdown', 'seed-event'] as const
export type StopStyle = typeof STOP_STYLES[number]

export const WORK_KINDS = ['cpu', 'io'] as const
export type WorkKind = typeof WORK_KINDS[number]

export type PcRole = 'producer' | 'consumer'

/** Per-thread cells in the stats buffer. */
export const Stat = { COUNT: 0, SUM: 1, XOR: 2, DUPLICATES: 3, BLOCKED_US: 4, TIMEOUTS: 5, STATE: 6, GIL_WAIT_US: 7, CPU_AT_GO_US: 8, CPU_US: 9, CORE_WAIT_AT_GO_US: 10, CORE_WAIT_US: 11 } as const
export const STAT_CELLS = 12
/** in the CPU_… and CORE_WAIT_… cells when the thread's clock cannot be read (no /proc) */
export const NO_CPU_CLOCK = -1

/**
 * Where a thread is, as its STATE cell says. The watchdog calls a run stuck when every live thread sits in a wait
 * only another thread's put or take could end (GET_BLOCKING on an empty queue, PUT_BLOCKING on a full one) and the
 * queue has not moved: nothing can ever wake them.
 */
export const ThreadState = {
  /** running Python code, doing its work, waiting for the GIL or in a bounded wait */
  RUNNING: 0,
  /** in get() with no timeout */
  GET_BLOCKING: 1,
  /** in get(timeout=…): it comes back by itself */
  GET_TIMED: 2,
  /** in put() (no timeout) */
  PUT_BLOCKING: 3,
  /** left its loop and returned */
  EXITED: 4
} as const

export const Control = { EVENT: 0, PRODUCERS_LEFT: 1, ARRIVED: 2 } as const
export const CONTROL_CELLS = 3

/** What a sentinel consumer takes as "no more messages" (the seed-style `None`); message ids are ≥ 0. */
export const SENTINEL = -2

export interface PcWorkerData {
  role: PcRole
  index: number
  /** the thread's slot in stats: producers 0 … P − 1, consumers P … P + C − 1 */
  slot: number
  producers: number
  consumers: number
  stop: StopStyle
  work: WorkKind
  workUs: number
  /** seed-event: the consumers' get(timeout=…), ms; 0 = get() with no timeout, as the seed wrote it */
  getTimeoutMs: number
  queue: SharedArrayBuffer
  /** one bit per message id, set by the consumer that took it */
  seen: SharedArrayBuffer
  stats: SharedArrayBuffer
  control: SharedArrayBuffer
  /** with gil: the emulated GIL every thread of the run shares */
  gil?: { buffer: SharedArrayBuffer, switchIntervalMs: number }
  /** producers put ids from … to − 1; consumers ignore them */
  from: number
  to: number
}

/**
 * 'ready' once loaded, with the thread's OS id (src/measure/thread-cpu.ts: main reads the clock of a thread that never
 * returned, stuck or a daemon, just before it is ended); 'done' once it has returned (its numbers are in the stats buffer).
 */
export type PcThreadToMain = { type: 'ready', thread?: string } | { type: 'done' }
