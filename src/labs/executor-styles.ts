/**
 * Three ways to collect what a pool computes, written as a Node program would (the caller thread runs them), each
 * beside the Python it stands for. Every style submits all the tasks at once, as executor.map does too.
 */
import type { ExecutorStyle } from './executor-messages.js'
import type { PoolClient, TaskFailed } from './executor-pool.js'

/** What the caller saw, as it saw it. */
export class Collected {
  readonly order: number[] = []
  results = 0
  exceptionsSeen = 0
  firstAt: number | null = null
  readonly #submittedAt: number

  constructor (submittedAt: number) {
    this.#submittedAt = submittedAt
  }

  #received (index: number): void {
    this.firstAt ??= performance.now() - this.#submittedAt
    this.order.push(index)
  }

  result (index: number): void {
    this.results++
    this.#received(index)
  }

  exception (error: unknown): void {
    this.exceptionsSeen++
    this.#received((error as TaskFailed).index)
  }
}

const indices = (tasks: number) => Array.from({ length: tasks }, (_, index) => index)

/**
 * map — `for result in executor.map(task, range(n))`: results in submission order. The first arrives when task 0
 * is done, however quick the others were; the first exception (in that order) ends the loop, and the promises
 * after it are never looked at. (Python's map also cancels the tasks that have not started; a promise cannot be
 * cancelled, so here they run anyway.)
 */
async function inSubmissionOrder (pool: PoolClient, tasks: number, collected: Collected): Promise<void> {
  const futures = indices(tasks).map((index) => pool.submit(index))
  try {
    for (const future of futures) collected.result((await future).index)
  } catch (error) {
    collected.exception(error)
  }
}

/**
 * as-completed — `for future in as_completed(futures): try: future.result() except ...`: each outcome as soon as
 * its task ends; a handler on every promise from the start, so every exception is seen.
 */
async function asCompleted (pool: PoolClient, tasks: number, collected: Collected): Promise<void> {
  const futures = indices(tasks).map((index) => pool.submit(index))
  await Promise.all(futures.map((future) => future.then((value) => collected.result(value.index), (error) => collected.exception(error))))
}

/**
 * fire-and-forget — `for i in range(n): executor.submit(task, i)` and nobody keeps the Future: nobody will ever ask
 * for a result. Python stores each exception in its Future and drops it with it, silently; Node raises an
 * 'unhandledRejection' for each promise that rejects with no handler (by default that ends the thread).
 */
function fireAndForget (pool: PoolClient, tasks: number): void {
  for (const index of indices(tasks)) pool.submit(index) // the promise is dropped: that is the lesson
}

/** Collects one style; resolves when the caller stops collecting (fire-and-forget: at once). */
export async function collect (style: ExecutorStyle, pool: PoolClient, tasks: number, collected: Collected): Promise<void> {
  if (style === 'map') return inSubmissionOrder(pool, tasks, collected)
  if (style === 'as-completed') return asCompleted(pool, tasks, collected)
  fireAndForget(pool, tasks)
}
