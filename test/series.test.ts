import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MODES, buildTestApp, runJob, submitJob } from './support/app.js'
import { parseCsv } from './support/csv.js'

/** report.series: fixed intervals of the measured window whose rows add up exactly to the totals. */

test('series rows cover the window in fixed intervals and add up exactly to the totals, in every mode', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of MODES) {
    const job = await runJob(app, { workload: 'db', mode, tasks: 60, concurrency: mode === 'inline' ? 1 : 3, seriesIntervalMs: 50, seed: 3, params: { latencyMs: 4, errorRate: 0.2 } })
    const report = job.report!
    assert.equal(report.seriesIntervalMs, 50, mode)
    assert.ok(report.series.length >= Math.floor(report.totalMs / 50), `${mode}: ${report.series.length} rows for ${report.totalMs} ms`)
    assert.equal(report.series.reduce((sum, row) => sum + row.done, 0), report.tasks.done, mode)
    assert.equal(report.series.reduce((sum, row) => sum + row.failed, 0), report.tasks.failed, mode)
    report.series.forEach((row, index) => {
      assert.equal(row.startMs, index * 50, mode)
      assert.ok(row.endMs > row.startMs && row.endMs <= row.startMs + 50, `${mode} row ${index}: ${row.startMs}–${row.endMs}`)
      assert.ok(row.cpuBusy.every((busy) => busy >= 0 && busy <= 1), `${mode} row ${index}: ${row.cpuBusy}`)
    })
  }
})

test('a job longer than MAX_SERIES_ROWS intervals merges neighbours: bounded rows, doubled interval, nothing lost', async (t) => {
  const app = await buildTestApp(t, { MAX_SERIES_ROWS: 4 })
  const job = await runJob(app, { workload: 'db', mode: 'async', tasks: 50, concurrency: 1, seriesIntervalMs: 20, params: { latencyMs: 5 } })
  const report = job.report!
  assert.ok(report.series.length <= 4, `${report.series.length} rows`)
  assert.ok(report.seriesIntervalMs >= 80, `interval ${report.seriesIntervalMs}`)
  assert.equal(report.series.reduce((sum, row) => sum + row.done, 0), 50)
})

test('open loop above capacity: the last series row has a far higher response p99 than the first, service time flat', async (t) => {
  const app = await buildTestApp(t)
  // 100/s arrive, one 20 ms query at a time serves 50/s.
  const job = await runJob(app, { workload: 'db', mode: 'async', tasks: 50, concurrency: 1, rate: 100, seriesIntervalMs: 200, params: { latencyMs: 20 } })
  const rows = job.report!.series.filter((row) => row.done > 0)
  const first = rows[0]!
  const last = rows.at(-1)!
  assert.ok(last.responseP99Ms! > 4 * first.responseP99Ms!, `response p99 first ${first.responseP99Ms}, last ${last.responseP99Ms}`)
  assert.ok(last.latencyP99Ms! < 1.5 * first.latencyP99Ms!, `latency p99 first ${first.latencyP99Ms}, last ${last.latencyP99Ms}`)
})

test('GET /jobs/:id/series answers the rows as JSON, CSV and a table; SSE progress carries the latest row', async (t) => {
  const app = await buildTestApp(t)
  const job = await runJob(app, { workload: 'db', mode: 'async', tasks: 20, concurrency: 2, seriesIntervalMs: 30, params: { latencyMs: 5 } })
  const json = (await app.inject({ url: `/jobs/${job.id}/series` })).json()
  assert.equal(json.intervalMs, 30)
  assert.deepEqual(json.rows, job.report!.series)
  const csv = await app.inject({ url: `/jobs/${job.id}/series`, headers: { accept: 'text/csv' } })
  assert.match(String(csv.headers['content-type']), /^text\/csv/)
  const parsed = parseCsv(csv.body)
  assert.equal(parsed.length, job.report!.series.length + 1)
  assert.deepEqual(parsed[0]!.slice(0, 5), ['startMs', 'endMs', 'done', 'failed', 'tasksPerSec'])
  assert.equal(parsed.slice(1).reduce((sum, row) => sum + Number(row[2]), 0), 20)
  const text = await app.inject({ url: `/jobs/${job.id}/series`, headers: { accept: 'text/plain' } })
  assert.match(text.body, /rows of 30 ms/)
  assert.equal((await app.inject({ url: '/jobs/nope/series' })).statusCode, 404)

  const progress: unknown[] = []
  const slow = await submitJob(app, { workload: 'db', mode: 'async', tasks: 10, concurrency: 1, seriesIntervalMs: 50, params: { latencyMs: 30 } })
  const live = app.lab.scheduler.get(slow.id)
  live.on('progress', (event) => progress.push(event))
  await live.ended()
  const withRow = progress.find((event) => (event as { latest?: { done: number } }).latest?.done !== undefined)
  assert.ok(withRow, 'a progress event with the latest row')
})
