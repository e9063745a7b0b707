import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { MODES, buildTestApp, getJob, runJob, submitJob, waitFor } from './support/app.js'
import { parsePrometheusText, valueOf } from './support/prometheus-text.js'

async function scrape (app: FastifyInstance) {
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  assert.equal(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  return parsePrometheusText(response.body)
}

test('/metrics exposes the default Node.js metrics and every conclab_ family', async (t) => {
  const app = await buildTestApp(t)
  await runJob(app, { workload: 'hash', mode: 'pool', tasks: 4, concurrency: 2 })
  const names = new Set((await scrape(app)).map((sample) => sample.name))
  for (const name of [
    'process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds',
    'conclab_jobs_total', 'conclab_tasks_total', 'conclab_task_run_seconds_bucket', 'conclab_task_queue_wait_seconds_bucket',
    'conclab_job_duration_seconds_bucket', 'conclab_jobs_running', 'conclab_jobs_queued', 'conclab_live_workers',
    'conclab_pool_threads', 'conclab_pool_size', 'conclab_pool_queue_size', 'conclab_pool_thread_utilization',
    'conclab_event_loop_utilization', 'conclab_cpu_seconds_total', 'conclab_cores', 'conclab_cgroup_cpu_quota_cores',
    'conclab_build_info', 'conclab_http_request_duration_seconds_bucket'
  ]) assert.ok(names.has(name), `missing ${name}`)
})

test('task and job counters move by exactly the tasks and jobs run, in every mode', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of MODES) {
    const labels = { mode, workload: 'db' }
    const before = await scrape(app)
    const job = await runJob(app, { workload: 'db', mode, tasks: 37, concurrency: mode === 'inline' ? 1 : 2, seed: 9, params: { latencyMs: 0, errorRate: 0.3 } })
    const after = await scrape(app)
    const delta = (name: string, extra: Record<string, string> = {}) => valueOf(after, name, { ...labels, ...extra }) - valueOf(before, name, { ...labels, ...extra })
    assert.equal(delta('conclab_tasks_total', { outcome: 'succeeded' }), job.report!.tasks.done, mode)
    assert.equal(delta('conclab_tasks_total', { outcome: 'failed' }), job.report!.tasks.failed, mode)
    assert.equal(delta('conclab_tasks_total'), 37, mode)
    assert.ok(job.report!.tasks.failed > 0, 'some tasks failed')
    assert.equal(delta('conclab_task_run_seconds_count'), 37, mode)
    assert.equal(delta('conclab_task_queue_wait_seconds_count'), 37, mode)
    assert.equal(delta('conclab_jobs_total', { outcome: 'succeeded' }), 1, mode)
    assert.equal(delta('conclab_job_duration_seconds_count', { outcome: 'succeeded' }), 1, mode)
  }
})

test('cancelled jobs count by outcome; HTTP requests count by route pattern and status class', async (t) => {
  const app = await buildTestApp(t)
  const { id } = await submitJob(app, { workload: 'db', mode: 'async', tasks: 100_000, params: { latencyMs: 5 } })
  await waitFor(async () => (await getJob(app, id)).progress.done > 0)
  await app.inject({ method: 'DELETE', url: `/jobs/${id}` })
  for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: '/healthz' })
  await app.inject({ method: 'GET', url: '/jobs/nope' })
  await app.inject({ method: 'GET', url: '/no/such/route' })
  await app.inject({ method: 'HEAD', url: '/healthz' }) // Fastify's automatic HEAD route
  await app.inject({ method: 'GET', url: '/docs/json' }) // registered by a plugin (Swagger), not by our routes
  const samples = await scrape(app)
  assert.equal(valueOf(samples, 'conclab_jobs_total', { mode: 'async', workload: 'db', outcome: 'cancelled' }), 1)
  assert.equal(valueOf(samples, 'conclab_http_request_duration_seconds_count', { method: 'GET', route: '/healthz', status_class: '2xx' }), 3)
  assert.equal(valueOf(samples, 'conclab_http_request_duration_seconds_count', { method: 'GET', route: '/jobs/:id', status_class: '4xx' }), 1)
  assert.equal(valueOf(samples, 'conclab_http_request_duration_seconds_count', { route: 'unmatched' }), 1)
  assert.equal(valueOf(samples, 'conclab_http_request_duration_seconds_count', { method: 'HEAD', route: '/healthz', status_class: '2xx' }), 1)
  assert.equal(valueOf(samples, 'conclab_http_request_duration_seconds_count', { method: 'GET', route: '/docs/json', status_class: '2xx' }), 1)
  // Sub-millisecond buckets exist, so fast routes are resolved.
  assert.ok(samples.some((sample) => sample.name === 'conclab_http_request_duration_seconds_bucket' && sample.labels.le === '0.0005'))
  assert.ok(!samples.some((sample) => Object.values(sample.labels).includes(id)), 'no job id in any label')
})

test('a scrape stays cheap while every pool thread is busy with long tasks', async (t) => {
  const app = await buildTestApp(t)
  const { id } = await submitJob(app, { workload: 'hash', mode: 'pool', tasks: 8, concurrency: 2, params: { bytes: 16_777_216, rounds: 100 } })
  await waitFor(async () => (await getJob(app, id)).status === 'running')
  await new Promise((resolve) => setTimeout(resolve, 200))
  const started = performance.now()
  const samples = await scrape(app)
  const tookMs = performance.now() - started
  assert.ok(tookMs < 1000, `scrape took ${tookMs} ms`)
  assert.equal(valueOf(samples, 'conclab_jobs_running'), 1)
  assert.equal(valueOf(samples, 'conclab_live_workers', { mode: 'pool' }), app.lab.pool.size)
  await app.inject({ method: 'DELETE', url: `/jobs/${id}` })
})
