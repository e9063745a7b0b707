/**
 * What the main thread and the upstream thread (workers/upstream-entry.ts) send each other.
 *
 *   main: spawn({ limits, port }) ─▶ upstream: listen(127.0.0.1:port) ─▶ main: { port }
 *
 * `port` is 0 on the first start (any free port) and the port the jobs already hold on a restart.
 */
export interface UpstreamWorkerData {
  SIM_MAX_DELAY_MS: number
  SIM_MAX_BYTES: number
  port: number
}

/** Sent once, when the server listens. */
export interface UpstreamListening {
  port: number
}
