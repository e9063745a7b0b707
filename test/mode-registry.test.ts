import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { BUILT_IN_MODES } from '../src/executors/registry.js'
import { buildTestApp, runJob, submitJob, waitFor } from './support/app.js'
import { lanesMode } from './support/lanes-mode.js'
import { parsePrometheusText, valueOf } from './support/prometheus-text.js'

/** A mode is one definition: a sixth one, defined only in test/support/lanes-mode.ts, shows up everywhere a mode does. */

const withLanes = { modes: [...BUILT_IN_MODES, lanesMode] }

async function liveLanes (app: FastifyInstance): Promise<number | undefined> {
  const samples = parsePrometheusText((await app.inject({ url: '/metrics' })).body)
  const found = samples.find((sample) => sample.name === 'conclab_live_workers' && sample.labels.mode === 'lanes')
  return found?.value
}

test('a test-only mode appears in the OpenAPI enums, GET /, /readyz and the live-worker metric', async (t) => {
  const app = await buildTestApp(t, {}, withLanes)
  const openApi = (await app.inject({ url: '/docs/json' })).json()
  const jobBody = openApi.paths['/jobs'].post.requestBody.content['application/json'].schema
  assert.deepEqual(jobBody.properties.mode.enum, ['inline', 'async', 'threads', 'pool', 'processes', 'cluster', 'lanes'])
  assert.match(jobBody.properties.concurrency.description, /lanes: lanes \(at most 3\)/)
  const compareBody = openApi.paths['/experiments/compare'].post.requestBody.content['application/json'].schema
  assert.ok(compareBody.properties.modes.items.enum.includes('lanes'))
  const workMode = openApi.paths['/work/hash'].get.parameters.find((parameter: { name: string }) => parameter.name === 'mode')
  assert.deepEqual(workMode.schema.enum, ['inline', 'async', 'pool', 'lanes'])

  const info = (await app.inject({ url: '/' })).json()
  assert.deepEqual(info.modes, ['inline', 'async', 'threads', 'pool', 'processes', 'cluster', 'lanes'])
  assert.equal(info.modeDescriptions.lanes, lanesMode.description)
  const ready = (await app.inject({ url: '/readyz' })).json()
  assert.equal(ready.workers.lanes, 0)
  assert.equal(await liveLanes(app), 0)

  // Built without it, the service has no such mode.
  const plain = await buildTestApp(t)
  const refused = await plain.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'lanes' } })
  assert.equal(refused.statusCode, 400)
  assert.match(refused.json().message, /^body\/mode must be one of: inline, async, threads, pool, processes, cluster$/)
})

test('a job in the test-only mode runs with a full report; its limit is named in the 400; its lanes are live workers', async (t) => {
  const app = await buildTestApp(t, {}, withLanes)
  const job = await runJob(app, { workload: 'hash', mode: 'lanes', tasks: 30, concurrency: 3, params: { bytes: 1024, rounds: 2 } })
  assert.equal(job.status, 'succeeded')
  const report = job.report!
  assert.deepEqual(report.tasks, { total: 30, done: 30, failed: 0, notRun: 0 })
  assert.deepEqual(report.workers.map((worker) => worker.worker).sort(), ['lane 0', 'lane 1', 'lane 2'])
  assert.equal(report.workers.reduce((sum, worker) => sum + worker.tasks, 0), 30)
  assert.equal(report.latencyMs?.count, 30)
  assert.ok(report.wallMs > 0 && report.tasksPerSec > 0)
  assert.equal(report.results.length, 5)

  const tooMany = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'lanes', concurrency: 4 } })
  assert.equal(tooMany.statusCode, 400)
  assert.equal(tooMany.json().message, 'body/concurrency must be <= 3 in mode lanes (the test mode lanes has at most 3)')
  const crash = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'lanes', crashAtTask: 1 } })
  assert.equal(crash.statusCode, 400)
  assert.match(crash.json().message, /^body\/crashAtTask is not allowed in mode lanes .*use threads, pool, processes or cluster$/)

  const slow = await submitJob(app, { workload: 'db', mode: 'lanes', tasks: 6, concurrency: 2, params: { latencyMs: 150 } })
  await waitFor(async () => (await liveLanes(app)) === 2, 5000, 'two live lanes')
  await waitFor(async () => (await app.inject({ url: `/jobs/${slow.id}` })).json().status === 'succeeded', 10_000, 'the slow job')
  assert.equal(await liveLanes(app), 0)

  const work = await app.inject({ url: '/work/hash?mode=lanes&bytes=64&rounds=1' })
  assert.equal(work.statusCode, 200, work.body)
  assert.equal(work.json().worker, 'lane 0')
})

test('compare runs the test-only mode with its own workers count and skips levels over its limit', async (t) => {
  const app = await buildTestApp(t, {}, withLanes)
  const response = await app.inject({
    method: 'POST',
    url: '/experiments/compare',
    payload: { workload: 'hash', params: { bytes: 1024, rounds: 2 }, tasks: 12, modes: ['lanes'], concurrency: [2, 4] }
  })
  assert.equal(response.statusCode, 200, response.body)
  const comparison = response.json()
  const lanes = comparison.rows.find((row: { mode: string }) => row.mode === 'lanes')
  assert.equal(lanes.status, 'succeeded')
  assert.equal(lanes.concurrency, 2)
  assert.equal(lanes.workers, 2)
  assert.deepEqual(comparison.skipped, [{ mode: 'lanes', concurrency: 4, reason: 'body/concurrency must be <= 3 in mode lanes (the test mode lanes has at most 3)' }])
})

test('GET /work and timer fires move conclab_tasks_total by exactly the tasks they ran, under source work and timer', async (t) => {
  const app = await buildTestApp(t)
  const scrape = async () => parsePrometheusText((await app.inject({ url: '/metrics' })).body)
  const before = await scrape()
  const requests = { inline: 3, async: 2, pool: 4 }
  for (const [mode, count] of Object.entries(requests)) {
    for (let i = 0; i < count; i++) {
      const response = await app.inject({ url: `/work/db?mode=${mode}&latencyMs=1&seed=${i}` })
      assert.equal(response.statusCode, 200, response.body)
    }
  }
  // A failing task counts as failed.
  assert.equal((await app.inject({ url: '/work/db?mode=pool&latencyMs=0&errorRate=1' })).statusCode, 502)
  const timer = await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 0, intervalMs: 5, count: 3, task: { workload: 'hash', params: { bytes: 64, rounds: 1 } } } })
  assert.equal(timer.statusCode, 201, timer.body)
  await waitFor(async () => (await app.inject({ url: `/timers/${timer.json().id}` })).json().state === 'done', 10_000, 'the timer')
  const after = await scrape()
  const delta = (labels: Record<string, string>) => valueOf(after, 'conclab_tasks_total', labels) - valueOf(before, 'conclab_tasks_total', labels)

  for (const [mode, count] of Object.entries(requests)) {
    assert.equal(delta({ source: 'work', mode, workload: 'db', outcome: 'succeeded' }), count, mode)
  }
  assert.equal(delta({ source: 'work', mode: 'pool', workload: 'db', outcome: 'failed' }), 1)
  assert.equal(delta({ source: 'work' }), 10)
  assert.equal(delta({ source: 'timer', mode: 'pool', workload: 'hash', outcome: 'succeeded' }), 3)
  assert.equal(delta({ source: 'timer' }), 3)
  assert.equal(delta({ source: 'job' }), 0)
  const runs = (source: string) => valueOf(after, 'conclab_task_run_seconds_count', { source }) - valueOf(before, 'conclab_task_run_seconds_count', { source })
  assert.equal(runs('work'), 10)
  assert.equal(runs('timer'), 3)
})
