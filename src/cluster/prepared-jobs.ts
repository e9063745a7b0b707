import { Gil, type GilShared } from '../sync/gil.js'
import { workloads } from '../workloads/index.js'
import type { PreparedJob } from '../workloads/workload.js'
import type { SliceData } from './slice-schema.js'

/** A job whose slices stopped coming this long ago (its end was not heard: Redis was down) has its resources removed. */
const IDLE_MS = 30_000

interface Entry {
  ready: Promise<PreparedJob | undefined>
  gil: GilShared | undefined
  running: number
  ended: boolean
  idle: NodeJS.Timeout | undefined
}

/** What one slice runs with on this replica: the job's workload resources (seeded data, temp dir) and its GIL. */
export interface SliceResources {
  shared: unknown
  gil: GilShared | undefined
}

/**
 * The workload resources of the cluster jobs this replica runs slices of. A replica makes them itself (the seeded
 * data from the job's seed, a temp dir of its own), once per job at its first slice, and removes them when the
 * coordinator announces the job's end and no slice of it still runs, or after IDLE_MS without a slice.
 */
export class PreparedJobs {
  readonly #jobs = new Map<string, Entry>()

  async acquire (data: SliceData): Promise<SliceResources> {
    let entry = this.#jobs.get(data.jobId)
    if (!entry) {
      entry = {
        ready: Promise.resolve(workloads[data.workload].prepare?.(data.params, { jobId: data.jobId, seed: data.seed })),
        gil: data.gil ? { id: data.jobId, switchIntervalMs: data.gil.switchIntervalMs, buffer: Gil.allocate() } : undefined,
        running: 0,
        ended: false,
        idle: undefined
      }
      this.#jobs.set(data.jobId, entry)
    }
    entry.running++
    clearTimeout(entry.idle)
    try {
      const prepared = await entry.ready
      return { shared: prepared?.shared, gil: entry.gil }
    } catch (error) {
      // A prepare that failed is not kept: the next slice tries again.
      entry.running--
      if (this.#jobs.get(data.jobId) === entry) this.#jobs.delete(data.jobId)
      throw error
    }
  }

  release (jobId: string): void {
    const entry = this.#jobs.get(jobId)
    if (!entry) return
    entry.running--
    if (entry.running > 0) return
    if (entry.ended) this.#remove(jobId, entry).catch(() => {})
    else entry.idle = setTimeout(() => { this.#remove(jobId, entry).catch(() => {}) }, IDLE_MS).unref()
  }

  /** The coordinator says the job ended: its resources go once no slice of it runs here. */
  ended (jobId: string): void {
    const entry = this.#jobs.get(jobId)
    if (!entry) return
    entry.ended = true
    if (entry.running === 0) this.#remove(jobId, entry).catch(() => {})
  }

  get jobs (): number {
    return this.#jobs.size
  }

  async closeAll (): Promise<void> {
    await Promise.all([...this.#jobs].map(([jobId, entry]) => this.#remove(jobId, entry)))
  }

  async #remove (jobId: string, entry: Entry): Promise<void> {
    if (this.#jobs.get(jobId) !== entry) return
    this.#jobs.delete(jobId)
    clearTimeout(entry.idle)
    // What a cleanup leaves behind is swept at the next start (workload.sweep): nothing to do with its error here.
    await entry.ready.then((prepared) => prepared?.cleanup(), () => {}).catch(() => {})
  }
}
