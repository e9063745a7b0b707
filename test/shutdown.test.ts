import assert from 'node:assert/strict'
import { test } from 'node:test'
import { getJob, listenTestApp, submitJob, waitFor } from './support/app.js'

/** Shutdown ends what holds a connection open: SSE streams and ?wait=true requests end with their jobs. */

test('shutdown does not wait for SSE clients or ?wait=true requests: their jobs are cancelled first', async (t) => {
  const { app, url } = await listenTestApp(t)
  const { id } = await submitJob(app, { workload: 'db', mode: 'async', tasks: 100_000, concurrency: 2, daemon: true, params: { latencyMs: 20 } })
  const events = await fetch(`${url}/jobs/${id}/events`)
  const waiting = fetch(`${url}/jobs?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workload: 'db', mode: 'async', tasks: 10 })
  })
  await waitFor(async () => (await getJob(app, id)).progress.done >= 2 && app.lab.scheduler.queuedCount === 1)
  const started = performance.now()
  await app.close()
  assert.ok(performance.now() - started < 5_000, `close took ${performance.now() - started} ms`)
  const stream = await events.text()
  assert.match(stream, /event: end\ndata: .*"status":"cancelled"/)
  const queued = await (await waiting).json() as { status: string, error: { message: string } }
  assert.equal(queued.status, 'cancelled')
  assert.match(queued.error.message, /shutdown/)
})
