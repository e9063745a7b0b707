/**
 * Threads and child processes that jobs have started and that have not exited yet. The executors keep it exact
 * (counted at spawn, uncounted at 'exit'), so a leak shows up here, in /readyz and (later) in the metrics.
 */
export const liveWorkers = { threads: 0, processes: 0 }
