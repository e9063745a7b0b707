/**
 * The job spec `POST /jobs` takes, from the options of `conclab run` (or `compare`): only what the user gave, so
 * the service fills every default and checks every limit with its own messages (docs/api.md#jobs).
 */
export interface SpecOptions {
  workload: string
  tasks?: number
  concurrency?: number
  batch?: number | 'auto'
  params?: Record<string, unknown>
  param?: Record<string, unknown>
  rate?: number
  arrivals?: string
  warmupMs?: number
  warmupTasks?: number
  seed?: number
  timeoutMs?: number
  startDelayMs?: number
  seriesIntervalMs?: number
  gil?: boolean
}

const defined = (entries: Array<[string, unknown]>) => Object.fromEntries(entries.filter(([, value]) => value !== undefined))

/** `--params` first, then each `--param key=value` over it. */
export function paramsOf (options: Pick<SpecOptions, 'params' | 'param'>): Record<string, unknown> | undefined {
  if (!options.params && !options.param) return undefined
  return { ...options.params, ...options.param }
}

export function warmupOf (options: Pick<SpecOptions, 'warmupMs' | 'warmupTasks'>): { ms: number } | { tasks: number } | undefined {
  if (options.warmupMs !== undefined) return { ms: options.warmupMs }
  if (options.warmupTasks !== undefined) return { tasks: options.warmupTasks }
  return undefined
}

export function jobSpec (options: SpecOptions, mode: string): Record<string, unknown> {
  return defined([
    ['workload', options.workload],
    ['mode', mode],
    ['tasks', options.tasks],
    ['concurrency', options.concurrency],
    ['batch', options.batch],
    ['params', paramsOf(options)],
    ['rate', options.rate],
    ['arrivals', options.arrivals],
    ['warmup', warmupOf(options)],
    ['seed', options.seed],
    ['timeoutMs', options.timeoutMs],
    ['startDelayMs', options.startDelayMs],
    ['seriesIntervalMs', options.seriesIntervalMs],
    ['gil', options.gil]
  ])
}
