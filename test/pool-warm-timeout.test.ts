import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../src/config.js'
import type { TaskOutcome } from '../src/executors/messages.js'
import { poolMode } from '../src/executors/pool.js'
import type { WorkerPool } from '../src/executors/worker-pool.js'
import type { JobSpec } from '../src/jobs/spec-service.js'
import { executionPlanOf, jobContextOf } from '../src/jobs/task-plan.js'

test('a pool that does not fill up in time fails the job with a report (JOB_WORKERS_DIED), not an internal error', async () => {
  const config = loadConfig({})
  const spec = { workload: 'hash', mode: 'pool', tasks: 4, concurrency: 2, batch: 'auto', params: { bytes: 16, rounds: 1, algorithm: 'sha256' }, seed: 1 } as unknown as JobSpec
  const outcomes: TaskOutcome[] = []
  const plan = executionPlanOf(spec, jobContextOf('warm-timeout', spec, undefined, { upstreamUrl: 'http://127.0.0.1:1', config }), config, new AbortController().signal, (more) => outcomes.push(...more), true)
  let ran = 0
  const pool = {
    tasksPerThread: 1,
    warm: async () => { throw new Error('the pool has 1 of 2 threads ready after 30000 ms') },
    run: async () => { ran++; return [] }
  } as unknown as WorkerPool
  const result = await poolMode.run(plan, { pool, engines: new Map() })
  assert.equal(result.fatalError, 'the pool has 1 of 2 threads ready after 30000 ms')
  assert.equal(ran, 0, 'nothing dispatched')
  assert.deepEqual(outcomes, [])
})
