import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MODES, buildTestApp, getJob, submitJob, waitFor } from './support/app.js'
import { parsePrometheusText, valueOf } from './support/prometheus-text.js'

/** Every task outcome is counted once: a job cancelled mid-run moves conclab_tasks_total by exactly its own counts. */

test('cancel mid-run in every mode: conclab_tasks_total moves by exactly the job\'s done + failed, late outcomes included', async (t) => {
  const app = await buildTestApp(t)
  const scrape = async () => parsePrometheusText((await app.inject({ url: '/metrics' })).body)
  for (const mode of MODES) {
    const labels = { mode, workload: 'db', source: 'job' }
    const before = await scrape()
    // 40 ms queries, some failing: the cancel lands with tasks in flight in every mode.
    const job = await submitJob(app, { workload: 'db', mode, tasks: 5000, concurrency: mode === 'inline' ? 1 : 2, batch: mode === 'pool' || mode === 'processes' ? 3 : 1, seed: 4, params: { latencyMs: 40, errorRate: 0.25 } })
    await waitFor(async () => (await getJob(app, job.id)).progress.done >= 4, 20_000, `${mode}: some tasks done`)
    const cancelled = await app.inject({ method: 'DELETE', url: `/jobs/${job.id}` })
    assert.equal(cancelled.json().status, 'cancelled', mode)
    // A main-thread task still in flight ends within its 40 ms and is counted then.
    await new Promise((resolve) => setTimeout(resolve, 150))
    const after = await scrape()
    const { progress, report } = await getJob(app, job.id)
    const delta = (outcome: string) => valueOf(after, 'conclab_tasks_total', { ...labels, outcome }) - valueOf(before, 'conclab_tasks_total', { ...labels, outcome })
    assert.equal(delta('succeeded'), progress.done, `${mode}: succeeded`)
    assert.equal(delta('failed'), progress.failed, `${mode}: failed`)
    // The report was made when the window closed: it has at most what progress has.
    assert.ok(report!.tasks.done <= progress.done && report!.tasks.failed <= progress.failed, mode)
    assert.ok(progress.done + progress.failed < 5000, `${mode}: stopped early`)
  }
})
