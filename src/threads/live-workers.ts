/** Who started a thread or child process: a mode (by its name, e.g. 'threads') or 'labs' (a lab run's threads). */
export type WorkerOwner = string

/**
 * The one account of threads and child processes the service has started and that have not exited yet, by
 * owner. WorkerGroup keeps it exact (counted at spawn, uncounted when the worker is gone), so a leak shows up in
 * /readyz, the live-worker metric and the tests' "nothing left behind" checks. (The warm pool's threads are
 * piscina's own: the pool reports them.)
 */
class LiveWorkers {
  readonly #counts = new Map<WorkerOwner, number>()

  count (owner: WorkerOwner): number {
    return this.#counts.get(owner) ?? 0
  }

  added (owner: WorkerOwner): void {
    this.#counts.set(owner, this.count(owner) + 1)
  }

  removed (owner: WorkerOwner): void {
    this.#counts.set(owner, this.count(owner) - 1)
  }
}

export const liveWorkers = new LiveWorkers()
