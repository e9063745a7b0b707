import { once } from 'node:events'
import type { Worker } from 'node:worker_threads'
import type { Config } from '../config.js'
import { spawnThread, workerFile } from '../threads/worker-files.js'

export interface Upstream {
  url: string
  close: () => Promise<void>
}

/** Starts the built-in latency upstream in its own thread and resolves with its loopback URL. */
export async function startUpstreamThread (config: Pick<Config, 'SIM_MAX_DELAY_MS' | 'SIM_MAX_BYTES'>): Promise<Upstream> {
  const worker: Worker = spawnThread(workerFile('upstream-entry'), {
    workerData: { SIM_MAX_DELAY_MS: config.SIM_MAX_DELAY_MS, SIM_MAX_BYTES: config.SIM_MAX_BYTES }
  })
  const [{ port }] = await once(worker, 'message') as [{ port: number }]
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => { await worker.terminate() }
  }
}

/** The upstream the net workload calls: UPSTREAM_URL when set, else the built-in thread. */
export async function startUpstream (config: Config): Promise<Upstream> {
  if (config.UPSTREAM_URL) return { url: config.UPSTREAM_URL.replace(/\/+$/, ''), close: async () => {} }
  return startUpstreamThread(config)
}
