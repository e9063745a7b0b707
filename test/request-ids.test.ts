import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { buildTestApp, fileDirsOf, runJob } from './support/app.js'

/** Issue 11, item 4: a client's x-request-id reached a file path (and logs and SSE). Only a clean id is kept. */

const CLEAN = /^[A-Za-z0-9_-]{1,64}$/

/** The id of every request and the reqId its log lines carry, seen as each request ends. */
function recordIds (app: FastifyInstance): Array<{ id: string, logged: unknown }> {
  const seen: Array<{ id: string, logged: unknown }> = []
  app.addHook('onResponse', async (request) => {
    // Fastify's request logger is a pino child bound to the request id; its bindings are what each log line carries.
    const bindings = (request.log as FastifyBaseLogger & { bindings: () => Record<string, unknown> }).bindings()
    seen.push({ id: String(request.id), logged: bindings.reqId })
  })
  return seen
}

test('x-request-id: a/b on GET /work/file answers 200 under a clean, generated id (in the log too)', async (t) => {
  const app = await buildTestApp(t)
  const seen = recordIds(app)
  const response = await app.inject({ method: 'GET', url: '/work/file?bytes=1024', headers: { 'x-request-id': 'a/b' } })
  assert.equal(response.statusCode, 200, response.body) // was 500: ENOENT on the temp dir `…work-a/b-…`
  assert.equal(response.json().ok, true)
  assert.equal(seen.length, 1)
  const [{ id, logged }] = seen as [{ id: string, logged: unknown }]
  assert.notEqual(id, 'a/b')
  assert.match(id, CLEAN)
  assert.equal(logged, id, 'the log lines carry the same clean id')
  assert.deepEqual(fileDirsOf(`work-${id}`), [], 'the temp dir is gone')
})

test('only ids of 1-64 letters, digits, _ and - are kept; any other is replaced by a fresh generated one', async (t) => {
  const app = await buildTestApp(t)
  const seen = recordIds(app)
  const kept = ['abc-123_XYZ', 'a', 'x'.repeat(64), '0f8fad5b-d9cb-469f-a165-70867728950e']
  const replaced = ['a/b', '../../etc/passwd', 'x'.repeat(65), 'has space', 'semi;colon', 'dot.dot', 'é', '']
  for (const given of [...kept, ...replaced]) {
    const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': given } })
    assert.equal(response.statusCode, 200)
  }
  // two headers of the same name arrive joined as 'one, two'
  await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': ['one', 'two'] } })
  await app.inject({ method: 'GET', url: '/healthz' })

  const ids = seen.map((entry) => entry.id)
  assert.deepEqual(ids.slice(0, kept.length), kept)
  const generated = ids.slice(kept.length)
  assert.equal(generated.length, replaced.length + 2)
  for (const id of generated) assert.match(id, /^req-[0-9a-z]+$/)
  assert.equal(new Set(generated).size, generated.length, 'each replaced id is a fresh one')
  for (const entry of seen) assert.equal(entry.logged, entry.id)
})

test('an event stream names the clean id in its x-request-id header, never the raw one', async (t) => {
  const app = await buildTestApp(t)
  const job = await runJob(app, { workload: 'db', mode: 'async', tasks: 2, concurrency: 1, params: { latencyMs: 1 } })

  const bad = await app.inject({ method: 'GET', url: `/jobs/${job.id}/events`, headers: { 'x-request-id': 'evil\u2028id' } })
  assert.equal(bad.statusCode, 200)
  const sent = String(bad.headers['x-request-id'])
  assert.match(sent, /^req-[0-9a-z]+$/)
  assert.match(bad.body, /^event: end\n/)
  assert.ok(!bad.body.includes('evil'))

  const good = await app.inject({ method: 'GET', url: `/jobs/${job.id}/events`, headers: { 'x-request-id': 'trace-42' } })
  assert.equal(good.headers['x-request-id'], 'trace-42')
})
