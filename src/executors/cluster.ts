import { ClusterEngine } from '../cluster/cluster-engine.js'
import { runClusterJob } from '../cluster/coordinator.js'
import type { ModeDefinition, ModeRuntime } from './mode-definition.js'

const NAME = 'cluster'

function engineOf (runtime: ModeRuntime): ClusterEngine {
  const engine = runtime.engines.get(NAME)
  // The spec service refuses a cluster job where the mode is unavailable, and the app starts the engine where it is.
  if (!(engine instanceof ClusterEngine)) throw new Error('the cluster mode has no engine: REDIS_URL was not set when the service started')
  return engine
}

/**
 * cluster: slices of the job on every replica that shares REDIS_URL, through BullMQ; each slice runs in that
 * replica's warm pool (src/cluster/). The replica that receives the job coordinates it and merges the slices'
 * summaries exactly.
 */
export const clusterMode: ModeDefinition = {
  name: NAME,
  description: 'slices on every replica sharing REDIS_URL, through BullMQ + Redis, each in that replica\'s warm pool: more machines, what they buy and cost',
  concurrencyMeans: 'slices in flight across the cluster (MAX_CONCURRENCY)',
  batches: true,
  allowsCrashInjection: true,
  allowsBlockingDriver: true,
  warmsOwnWorkers: false,
  // Each replica makes its own copy of the job's data; on the coordinator's machine it is one shared copy.
  sharesMemory: true,
  // A slice goes through Redis as a few numbers; its tasks' input bytes would not (params input 'shipped' is a 400).
  shipsTaskInput: false,
  workerMemoryBytes: 0,
  mainThread: false,
  singleTask: false,
  concurrencyLimit: (config) => ({ max: config.MAX_CONCURRENCY, variable: 'MAX_CONCURRENCY' }),
  // Slices beyond the replicas' pool threads wait in the queue; how many threads the cluster has is not known here.
  workersFor: (concurrency) => concurrency,
  unavailable: (config) => config.REDIS_URL === undefined ? 'REDIS_URL is not set (start Redis and set REDIS_URL on every replica: docs/cluster.md)' : undefined,
  startEngine: async (deps) => await ClusterEngine.start(deps, NAME),
  run: async (plan, runtime) => await runClusterJob(plan, engineOf(runtime))
}
