/** The db workload's defaults, shared by its task (in every worker) and its params schema (main thread only). */
export const DEFAULT_DB_LATENCY_MS = 10
