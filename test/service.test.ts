import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigSchema } from '../src/config.js'
import { buildTestApp } from './support/app.js'
import { pythonForTests } from './support/python.js'

test('GET / describes the service, the machine and every limit', async (t) => {
  const app = await buildTestApp(t, { MAX_TASKS: 1234 })
  const response = await app.inject({ method: 'GET', url: '/' })
  assert.equal(response.statusCode, 200)
  const info = response.json()
  assert.equal(info.name, 'concurrency-lab')
  assert.match(info.version, /^\d+\.\d+\.\d+/)
  assert.equal(info.node, process.version)
  assert.ok(info.cores >= 1)
  assert.deepEqual(info.modes, ['inline', 'async', 'threads', 'pool', 'processes', 'cluster'])
  // Without REDIS_URL the cluster mode is listed, with why it cannot run.
  assert.deepEqual(Object.keys(info.unavailableModes), ['cluster'])
  assert.match(info.unavailableModes.cluster, /REDIS_URL is not set/)
  assert.deepEqual(Object.keys(info.workloads), ['hash', 'db', 'net', 'file'])
  assert.equal(info.limits.MAX_TASKS, 1234)
  assert.equal(info.limits.POOL_SIZE, info.poolSize)
  // Every numeric setting of the config schema is shown live (the LAB_*, AUTO_BATCH_MS and shutdown ones too).
  const numeric = Object.entries(ConfigSchema.properties).filter(([, schema]) => (schema as { type?: string }).type === 'integer').map(([key]) => key)
  assert.deepEqual(Object.keys(info.limits).sort(), numeric.filter((key) => key !== 'PORT').sort())
  for (const key of ['LAB_MAX_MS', 'AUTO_BATCH_MS', 'SHUTDOWN_GRACE_MS', 'DAEMON_SHUTDOWN_WAIT_MS']) assert.equal(typeof info.limits[key], 'number', key)
  assert.equal(info.links.docs, '/docs')
})

test('/healthz is live, /readyz is ready with a warm pool and 503 once shutdown begins', async (t) => {
  const app = await buildTestApp(t, { POOL_SIZE: 2 })
  assert.deepEqual((await app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' })
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  assert.equal(ready.statusCode, 200)
  assert.equal(ready.json().pool.threads, 2)
  await app.lab.scheduler.shutdown()
  const draining = await app.inject({ method: 'GET', url: '/readyz' })
  assert.equal(draining.statusCode, 503)
  assert.equal(draining.json().status, 'not ready')
  const refused = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'inline' } })
  assert.equal(refused.statusCode, 503)
  assert.equal(refused.json().code, 'SHUTTING_DOWN')
})

test('the OpenAPI document lists every route and Swagger UI is served at /docs', async (t) => {
  const app = await buildTestApp(t)
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  assert.match(document.openapi, /^3\./)
  for (const path of ['/', '/healthz', '/readyz', '/jobs', '/jobs/{id}', '/jobs/{id}/events', '/work/hash', '/work/db', '/work/net', '/work/file', '/sim/delay']) {
    assert.ok(document.paths[path], `OpenAPI has ${path}`)
  }
  const body = document.paths['/jobs'].post.requestBody.content['application/json'].schema
  assert.deepEqual(body.properties.mode.enum, ['inline', 'async', 'threads', 'pool', 'processes', 'cluster'])
  const ui = await app.inject({ method: 'GET', url: '/docs' })
  assert.equal(ui.statusCode, 200)
  assert.match(ui.body, /swagger/i)
})

test('GET /work/<workload> runs one task per request in inline, async and pool mode', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['inline', 'async', 'pool']) {
    const hash = await app.inject({ method: 'GET', url: `/work/hash?mode=${mode}&bytes=100&rounds=2&seed=3` })
    assert.equal(hash.statusCode, 200, hash.body)
    const body = hash.json()
    assert.equal(body.ok, true)
    assert.match(body.value, /^[0-9a-f]{64}$/)
    assert.ok(body.runMs > 0 && body.totalMs >= body.runMs)
    assert.match(body.worker, mode === 'pool' ? /^pool thread \d+$/ : /^main$/)
    for (const url of [`/work/db?mode=${mode}&latencyMs=5`, `/work/net?mode=${mode}&latencyMs=5&bytes=100`, `/work/file?mode=${mode}&bytes=1000`]) {
      const response = await app.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 200, `${url}: ${response.body}`)
    }
  }
  const failing = await app.inject({ method: 'GET', url: '/work/db?latencyMs=0&errorRate=1' })
  assert.equal(failing.statusCode, 502)
  assert.equal(failing.json().ok, false)
  assert.match(failing.json().error, /simulated/)
})

test('GET /sim/delay answers after the delay with the asked status and size', async (t) => {
  const app = await buildTestApp(t)
  const started = performance.now()
  const response = await app.inject({ method: 'GET', url: '/sim/delay?ms=100&status=503&bytes=2048' })
  assert.ok(performance.now() - started >= 95)
  assert.equal(response.statusCode, 503)
  assert.equal(response.rawPayload.length, 2048)
  const jittered = await app.inject({ method: 'GET', url: '/sim/delay?ms=10&jitterMs=10' })
  assert.equal(jittered.statusCode, 200)
})

test('GET / says which CPython the labs\' originals run on, or why there is none', async (t) => {
  const { skip } = await pythonForTests()
  const missing = await buildTestApp(t, { PYTHON: 'no-such-python3-here' })
  const without = (await missing.inject({ method: 'GET', url: '/' })).json()
  assert.equal(without.cpython.available, false)
  assert.match(without.cpython.reason, /no no-such-python3-here on this machine/)
  if (skip) return t.skip(skip)
  const app = await buildTestApp(t)
  const { cpython } = (await app.inject({ method: 'GET', url: '/' })).json()
  assert.equal(cpython.available, true)
  assert.equal(cpython.python.implementation, 'cpython')
  assert.ok(Number(cpython.python.version.split('.')[1]) >= 10)
})
