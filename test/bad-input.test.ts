import assert from 'node:assert/strict'
import { STATUS_CODES } from 'node:http'
import { test } from 'node:test'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { JobView } from '../src/jobs/job.js'
import { buildTestApp, submitJob } from './support/app.js'

/**
 * Every bad-input case of the API: a 4xx (never a 5xx) with the stable `code`, the `{ statusCode, code, error,
 * message }` shape, and a message that names the field and, where there is one, the limit or the allowed values.
 * The limits are set small and distinctive here, so a message that says the limit can only have got it from the
 * config.
 */
const LIMITS = {
  MAX_TASKS: 50,
  MAX_THREADS: 4,
  MAX_PROCESSES: 3,
  MAX_HASH_BYTES: 4096,
  MAX_LATENCY_MS: 1000,
  SIM_MAX_DELAY_MS: 500,
  MAX_STORED_JOBS: 7,
  MAX_JOB_TIMEOUT_MS: 90_000,
  DEFAULT_JOB_TIMEOUT_MS: 30_000,
  BODY_LIMIT_BYTES: 2048
}

const WORKLOADS = ['hash', 'db', 'net', 'file']
const MODES = ['inline', 'async', 'threads', 'pool', 'processes']
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled']

/** A valid spec that every body case below breaks in exactly one way (tasks given: the default is over MAX_TASKS). */
const base = { workload: 'db', mode: 'async', tasks: 10, concurrency: 2, params: { latencyMs: 1 } }

interface BadCase {
  name: string
  request: InjectOptions
  status: number
  code: string
  /** every one must occur in the message (strings literally, RegExps as a match) */
  message: Array<string | RegExp>
}

function post (payload: unknown, url = '/jobs'): InjectOptions {
  return { method: 'POST', url, payload: payload as InjectOptions['payload'] }
}

function get (url: string): InjectOptions {
  return { method: 'GET', url }
}

/** The response is the error the case asks for; a 5xx is reported as such before anything else. */
function assertError (response: LightMyRequestResponse, expected: Omit<BadCase, 'name' | 'request'>, where: string): void {
  assert.ok(response.statusCode < 500, `${where}: must not be a 5xx, got ${response.statusCode} ${response.body}`)
  assert.equal(response.statusCode, expected.status, `${where}: status; body ${response.body}`)
  assert.match(String(response.headers['content-type']), /^application\/json/, `${where}: an error is JSON`)
  const body = response.json() as { statusCode: number, code: string, error: string, message: string }
  assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], `${where}: error shape ${response.body}`)
  assert.equal(body.statusCode, expected.status, `${where}: statusCode in the body`)
  assert.equal(body.error, STATUS_CODES[expected.status], `${where}: error text`)
  assert.equal(body.code, expected.code, `${where}: code; message ${body.message}`)
  for (const part of expected.message) {
    if (typeof part === 'string') assert.ok(body.message.includes(part), `${where}: message '${body.message}' must contain '${part}'`)
    else assert.match(body.message, part, `${where}: message '${body.message}'`)
  }
}

async function checkCases (app: FastifyInstance, cases: BadCase[]): Promise<void> {
  for (const badCase of cases) {
    const response = await app.inject(badCase.request)
    assertError(response, badCase, badCase.name)
  }
}

/** Cancels every job of `ids` that is still queued or running (so no test leaves work behind). */
async function cancelAll (app: FastifyInstance, ids: string[]): Promise<void> {
  for (const id of ids) {
    const response = await app.inject({ method: 'DELETE', url: `/jobs/${id}` })
    assert.ok(response.statusCode === 200 || response.statusCode === 409, `cancel ${id}: ${response.statusCode} ${response.body}`)
  }
}

test('POST /jobs: unknown workload or mode lists the allowed values', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await checkCases(app, [
    { name: 'unknown workload', request: post({ ...base, workload: 'nope' }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/workload', ...WORKLOADS] },
    { name: 'unknown mode', request: post({ ...base, mode: 'fibers' }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/mode', ...MODES] },
    { name: 'unknown hash algorithm', request: post({ ...base, workload: 'hash', params: { algorithm: 'crc32' } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/algorithm', 'sha256', 'sha512', 'md5', 'blake2b512'] },
    { name: 'unknown db driver', request: post({ ...base, params: { driver: 'odbc' } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/driver', 'async', 'blocking'] }
  ])
})

test('POST /jobs: a wrong type names the field and the type', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await checkCases(app, [
    { name: 'tasks: "many"', request: post({ ...base, tasks: 'many' }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/tasks', 'integer'] },
    { name: 'tasks: "3" (a string is not converted)', request: post({ ...base, tasks: '3' }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/tasks', 'integer'] },
    { name: 'params/fsync: "true"', request: post({ ...base, workload: 'file', params: { fsync: 'true' } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/fsync', 'boolean'] },
    { name: 'tasks: 2.5', request: post({ ...base, tasks: 2.5 }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/tasks', 'integer'] },
    { name: 'params: []', request: post({ ...base, params: [] }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params', 'object'] },
    { name: 'params/bytes: "big"', request: post({ ...base, workload: 'hash', params: { bytes: 'big' } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/bytes', 'integer'] },
    { name: 'params/fsync: "yes"', request: post({ ...base, workload: 'file', params: { fsync: 'yes' } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/fsync', 'boolean'] },
    { name: 'body is an array', request: post([base]), status: 400, code: 'FST_ERR_VALIDATION', message: ['body', 'object'] },
    { name: '?wait=maybe', request: post(base, '/jobs?wait=maybe'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/wait', 'boolean'] }
  ])
})

test('POST /jobs: a missing required field is named', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  const { workload: _workload, ...noWorkload } = base
  const { mode: _mode, ...noMode } = base
  await checkCases(app, [
    { name: 'no workload', request: post(noWorkload), status: 400, code: 'FST_ERR_VALIDATION', message: ["'workload'"] },
    { name: 'no mode', request: post(noMode), status: 400, code: 'FST_ERR_VALIDATION', message: ["'mode'"] },
    { name: 'no body at all', request: { method: 'POST', url: '/jobs' }, status: 400, code: 'FST_ERR_VALIDATION', message: ['body'] }
  ])
})

test('POST /jobs: a value over a limit says the limit from the config', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await checkCases(app, [
    { name: 'tasks over MAX_TASKS (50)', request: post({ ...base, tasks: 51 }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/tasks', /<= 50\b/] },
    { name: 'tasks 0', request: post({ ...base, tasks: 0 }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/tasks', />= 1\b/] },
    { name: 'hash bytes over MAX_HASH_BYTES (4096)', request: post({ ...base, workload: 'hash', params: { bytes: 4097 } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/bytes', /<= 4096\b/] },
    { name: 'db latency over MAX_LATENCY_MS (1000)', request: post({ ...base, params: { latencyMs: 1001 } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/latencyMs', /<= 1000\b/] },
    { name: 'db p99Ms over MAX_LATENCY_MS (1000)', request: post({ ...base, params: { p50Ms: 10, p99Ms: 5000 } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/p99Ms', /<= 1000\b/] },
    { name: 'net latency over SIM_MAX_DELAY_MS (500)', request: post({ ...base, workload: 'net', params: { latencyMs: 501 } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/latencyMs', /<= 500\b/] },
    { name: 'db errorRate over 1', request: post({ ...base, params: { errorRate: 1.5 } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/errorRate', /<= 1\b/] },
    { name: 'timeoutMs over MAX_JOB_TIMEOUT_MS (90000)', request: post({ ...base, timeoutMs: 90_001 }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/timeoutMs', /<= 90000\b/] },
    { name: 'negative seed', request: post({ ...base, seed: -1 }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/seed', />= 0\b/] }
  ])
})

test('POST /jobs: an unknown property in the body or in params is named, not dropped', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await checkCases(app, [
    { name: 'extra body property', request: post({ ...base, color: 'red' }), status: 400, code: 'FST_ERR_VALIDATION', message: ["'color'"] },
    { name: 'extra params property', request: post({ ...base, params: { latencyMs: 1, colour: 1 } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params', "'colour'"] },
    { name: 'hash param sent to db', request: post({ ...base, params: { rounds: 3 } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params', "'rounds'"] }
  ])
})

test('POST /jobs: rules across fields name the fields and the limit variable', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await checkCases(app, [
    { name: 'threads concurrency over MAX_THREADS (4)', request: post({ ...base, mode: 'threads', concurrency: 5 }), status: 400, code: 'INVALID_FIELD', message: ['body/concurrency', /<= 4\b/, 'threads', 'MAX_THREADS'] },
    { name: 'processes concurrency over MAX_PROCESSES (3)', request: post({ ...base, mode: 'processes', concurrency: 4 }), status: 400, code: 'INVALID_FIELD', message: ['body/concurrency', /<= 3\b/, 'processes', 'MAX_PROCESSES'] },
    { name: 'inline concurrency 2', request: post({ ...base, mode: 'inline', concurrency: 2 }), status: 400, code: 'INVALID_FIELD', message: ['body/concurrency', /<= 1\b/, 'inline'] },
    { name: 'a cluster job without REDIS_URL', request: post({ ...base, mode: 'cluster', concurrency: 2 }), status: 400, code: 'MODE_UNAVAILABLE', message: ['body/mode', 'cluster', 'REDIS_URL is not set'] },
    { name: 'batch 2 in inline', request: post({ ...base, mode: 'inline', concurrency: 1, batch: 2 }), status: 400, code: 'INVALID_FIELD', message: ['body/batch', 'inline', 'pool', 'processes'] },
    { name: 'batch 2 in threads', request: post({ ...base, mode: 'threads', batch: 2 }), status: 400, code: 'INVALID_FIELD', message: ['body/batch', 'threads'] },
    { name: 'crashAtTask in inline', request: post({ ...base, mode: 'inline', concurrency: 1, crashAtTask: 1 }), status: 400, code: 'INVALID_FIELD', message: ['body/crashAtTask', 'inline'] },
    { name: 'crashAtTask in async', request: post({ ...base, crashAtTask: 1 }), status: 400, code: 'INVALID_FIELD', message: ['body/crashAtTask', 'async'] },
    { name: 'crashAtTask not below tasks', request: post({ ...base, mode: 'pool', crashAtTask: 10 }), status: 400, code: 'INVALID_FIELD', message: ['body/crashAtTask', 'tasks', '10'] },
    { name: 'db p50Ms without p99Ms', request: post({ ...base, params: { p50Ms: 5 } }), status: 400, code: 'INVALID_FIELD', message: ['p50Ms', 'p99Ms'] },
    { name: 'db p99Ms without p50Ms', request: post({ ...base, params: { p99Ms: 5 } }), status: 400, code: 'INVALID_FIELD', message: ['p50Ms', 'p99Ms'] },
    { name: 'db latencyMs with p50Ms and p99Ms', request: post({ ...base, params: { latencyMs: 5, p50Ms: 5, p99Ms: 9 } }), status: 400, code: 'INVALID_FIELD', message: ['latencyMs', 'p50Ms'] },
    { name: 'db p99Ms below p50Ms', request: post({ ...base, params: { p50Ms: 9, p99Ms: 5 } }), status: 400, code: 'INVALID_FIELD', message: ['p50Ms', 'p99Ms'] }
  ])
})

test('POST /jobs: leaving out tasks is not an error when MAX_TASKS is below the default', async (t) => {
  // The client did not send `tasks`; a 400 "body/tasks must be <= 50" would blame a field it never gave.
  const app = await buildTestApp(t, { MAX_TASKS: 50 })
  const response = await app.inject(post({ workload: 'hash', mode: 'pool', concurrency: 2, params: { bytes: 64, rounds: 1 } }, '/jobs?wait=true'))
  assert.ok(response.statusCode < 500, response.body)
  assert.equal(response.statusCode, 200, `a spec without tasks must be accepted: ${response.body}`)
  const job = response.json() as JobView
  assert.equal(job.status, 'succeeded')
  assert.ok(Number(job.spec.tasks) >= 1 && Number(job.spec.tasks) <= 50, `default tasks within MAX_TASKS: ${String(job.spec.tasks)}`)
})

test('unknown job ids: GET, DELETE and events answer 404 JOB_NOT_FOUND naming the id', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  const id = '00000000-dead-beef-0000-000000000000'
  await checkCases(app, [
    { name: 'GET /jobs/:id', request: get(`/jobs/${id}`), status: 404, code: 'JOB_NOT_FOUND', message: [id] },
    { name: 'DELETE /jobs/:id', request: { method: 'DELETE', url: `/jobs/${id}` }, status: 404, code: 'JOB_NOT_FOUND', message: [id] },
    { name: 'GET /jobs/:id/events', request: get(`/jobs/${id}/events`), status: 404, code: 'JOB_NOT_FOUND', message: [id] },
    { name: 'GET /jobs/<bad percent-encoding>', request: get('/jobs/%ZZ'), status: 400, code: 'BAD_URL', message: ['%ZZ'] }
  ])
})

test('bodies: not JSON, empty, too large, or of another content type', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  const json = { 'content-type': 'application/json' }
  const large = JSON.stringify({ ...base, params: { latencyMs: 1, padding: 'x'.repeat(LIMITS.BODY_LIMIT_BYTES) } })
  await checkCases(app, [
    { name: 'truncated JSON', request: { method: 'POST', url: '/jobs', headers: json, payload: '{"workload": "db", "mode":' }, status: 400, code: 'BODY_NOT_JSON', message: ['JSON'] },
    { name: 'not JSON at all', request: { method: 'POST', url: '/jobs', headers: json, payload: 'workload=db&mode=async' }, status: 400, code: 'BODY_NOT_JSON', message: ['JSON'] },
    { name: 'a __proto__ key', request: { method: 'POST', url: '/jobs', headers: json, payload: '{"workload":"hash","mode":"pool","params":{"__proto__":{"bytes":1}}}' }, status: 400, code: 'FORBIDDEN_KEY', message: ['__proto__', 'prototype pollution'] },
    { name: 'a constructor.prototype key', request: { method: 'POST', url: '/jobs', headers: json, payload: '{"workload":"hash","mode":"pool","constructor":{"prototype":{"x":1}}}' }, status: 400, code: 'FORBIDDEN_KEY', message: ['constructor.prototype'] },
    { name: 'empty JSON body', request: { method: 'POST', url: '/jobs', headers: json, payload: '' }, status: 400, code: 'BODY_NOT_JSON', message: ['JSON'] },
    { name: 'body over BODY_LIMIT_BYTES (2048)', request: { method: 'POST', url: '/jobs', headers: json, payload: large }, status: 413, code: 'BODY_TOO_LARGE', message: ['2048', 'BODY_LIMIT_BYTES'] },
    { name: 'application/xml', request: { method: 'POST', url: '/jobs', headers: { 'content-type': 'application/xml' }, payload: '<job/>' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: ['application/xml', 'application/json'] },
    { name: 'form-urlencoded', request: { method: 'POST', url: '/jobs', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'workload=db' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: ['application/x-www-form-urlencoded', 'application/json'] }
  ])
})

test('bodies: a text/plain body is an unsupported content type (415), not a schema error', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await checkCases(app, [
    { name: 'text/plain', request: { method: 'POST', url: '/jobs', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify(base) }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: ['text/plain', 'application/json'] }
  ])
})

test('cancelling a finished job is 409 JOB_ALREADY_FINISHED naming the job and its status', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  const response = await app.inject(post({ ...base, tasks: 2 }, '/jobs?wait=true'))
  assert.equal(response.statusCode, 200, response.body)
  const job = response.json() as JobView
  assert.equal(job.status, 'succeeded')
  await checkCases(app, [
    { name: 'DELETE a succeeded job', request: { method: 'DELETE', url: `/jobs/${job.id}` }, status: 409, code: 'JOB_ALREADY_FINISHED', message: [job.id, 'succeeded'] }
  ])
  // The job is untouched by the refused cancel.
  const again = (await app.inject(get(`/jobs/${job.id}`))).json() as JobView
  assert.equal(again.status, 'succeeded')
})

test('a full queue answers 429 JOB_QUEUE_FULL with Retry-After, and frees up after cancel', async (t) => {
  const app = await buildTestApp(t, { MAX_QUEUED_JOBS: 1, MAX_RUNNING_JOBS: 1 })
  const slow = { workload: 'db', mode: 'inline', tasks: 20, concurrency: 1, startDelayMs: 500, params: { latencyMs: 200 } }
  const started: string[] = []
  try {
    const running = await submitJob(app, slow)
    started.push(running.id)
    const queued = await submitJob(app, slow)
    started.push(queued.id)
    assert.equal(queued.status, 'queued')

    const rejected = await app.inject(post(slow))
    if (rejected.statusCode === 202) started.push((rejected.json() as JobView).id)
    assertError(rejected, { status: 429, code: 'JOB_QUEUE_FULL', message: ['MAX_QUEUED_JOBS'] }, 'third job')
    const retryAfter = String(rejected.headers['retry-after'])
    assert.match(retryAfter, /^\d+$/, `Retry-After is whole seconds: '${retryAfter}'`)
    assert.ok(Number(retryAfter) >= 1, `Retry-After >= 1: ${retryAfter}`)

    // Cancelling the queued job makes room again.
    const cancelled = await app.inject({ method: 'DELETE', url: `/jobs/${queued.id}` })
    assert.equal(cancelled.statusCode, 200, cancelled.body)
    assert.equal((cancelled.json() as JobView).status, 'cancelled')
    const next = await submitJob(app, slow)
    started.push(next.id)
    assert.equal(next.status, 'queued')

    // A second cancel of the same job is a 409 that says it is cancelled already.
    await checkCases(app, [
      { name: 'DELETE a cancelled job', request: { method: 'DELETE', url: `/jobs/${queued.id}` }, status: 409, code: 'JOB_ALREADY_FINISHED', message: [queued.id, 'cancelled'] }
    ])
  } finally {
    await cancelAll(app, started.reverse())
  }
  for (const id of started) {
    const job = (await app.inject(get(`/jobs/${id}`))).json() as JobView
    assert.equal(job.status, 'cancelled', `job ${id} is not left running`)
  }
})

test('GET /work/<workload>: over a limit, unknown params, unknown workload', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await checkCases(app, [
    { name: 'hash bytes over MAX_HASH_BYTES (4096)', request: get('/work/hash?bytes=4097'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/bytes', /<= 4096\b/] },
    { name: 'hash bytes not a number', request: get('/work/hash?bytes=lots'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/bytes', 'integer'] },
    { name: 'db latency over MAX_LATENCY_MS (1000)', request: get('/work/db?latencyMs=1001'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/latencyMs', /<= 1000\b/] },
    { name: 'net latency over SIM_MAX_DELAY_MS (500)', request: get('/work/net?latencyMs=501'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/latencyMs', /<= 500\b/] },
    { name: 'file bytes 0', request: get('/work/file?bytes=0'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/bytes', />= 1\b/] },
    { name: 'mode threads', request: get('/work/hash?mode=threads'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/mode', 'inline', 'async', 'pool'] },
    { name: 'unknown query param', request: get('/work/hash?color=red'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring', "'color'"] },
    { name: 'db p50Ms without p99Ms', request: get('/work/db?p50Ms=3'), status: 400, code: 'INVALID_FIELD', message: ['querystring/p50Ms', 'p99Ms'] },
    { name: 'db latencyMs with p50Ms and p99Ms', request: get('/work/db?latencyMs=1&p50Ms=3&p99Ms=5'), status: 400, code: 'INVALID_FIELD', message: ['latencyMs', 'p50Ms'] },
    { name: 'unknown workload', request: get('/work/nope'), status: 404, code: 'UNKNOWN_WORKLOAD', message: ["'nope'", ...WORKLOADS] }
  ])
})

test('GET /sim/delay: a delay over SIM_MAX_DELAY_MS, alone or as ms + jitterMs', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await checkCases(app, [
    { name: 'ms over the limit', request: get('/sim/delay?ms=501'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/ms', /<= 500\b/] },
    { name: 'jitterMs over the limit', request: get('/sim/delay?jitterMs=501'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/jitterMs', /<= 500\b/] },
    { name: 'ms + jitterMs over the limit', request: get('/sim/delay?ms=300&jitterMs=201'), status: 400, code: 'INVALID_FIELD', message: ['querystring/ms', 'querystring/jitterMs', /<= 500\b/, 'SIM_MAX_DELAY_MS'] },
    { name: 'status 600', request: get('/sim/delay?status=600'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/status', /<= 599\b/] },
    { name: 'unknown query param', request: get('/sim/delay?delay=5'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring', "'delay'"] }
  ])
  // The limit itself is allowed (no off-by-one): ms + jitterMs == SIM_MAX_DELAY_MS.
  const atLimit = await app.inject(get('/sim/delay?ms=100&jitterMs=400&status=204'))
  assert.equal(atLimit.statusCode, 204, atLimit.body)
})

test('GET /jobs: limit over MAX_STORED_JOBS and an unknown status are 400', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await checkCases(app, [
    { name: 'limit over MAX_STORED_JOBS (7)', request: get('/jobs?limit=8'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/limit', /<= 7\b/] },
    { name: 'limit 0', request: get('/jobs?limit=0'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/limit', />= 1\b/] },
    { name: 'unknown status', request: get('/jobs?status=weird'), status: 400, code: 'FST_ERR_VALIDATION', message: ['querystring/status', ...STATUSES] }
  ])
  const ok = await app.inject(get('/jobs?limit=7'))
  assert.equal(ok.statusCode, 200, 'the limit itself is allowed')
})

test('an unknown route answers 404 ROUTE_NOT_FOUND naming the method and path', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await checkCases(app, [
    { name: 'GET /nope', request: get('/nope?x=1'), status: 404, code: 'ROUTE_NOT_FOUND', message: ['GET', '/nope'] },
    { name: 'POST /work/hash', request: post({}, '/work/hash'), status: 404, code: 'ROUTE_NOT_FOUND', message: ['POST', '/work/hash'] },
    { name: 'PUT /jobs', request: { method: 'PUT', url: '/jobs', payload: base }, status: 404, code: 'ROUTE_NOT_FOUND', message: ['PUT', '/jobs'] }
  ])
})

test('the default limits are enforced too (no overrides)', async (t) => {
  const app = await buildTestApp(t)
  const MiB = 1024 * 1024
  await checkCases(app, [
    { name: 'hash bytes over 16 MiB', request: post({ ...base, workload: 'hash', params: { bytes: 16 * MiB + 1 } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/bytes', `<= ${16 * MiB}`] },
    { name: 'db latency over 60 s', request: post({ ...base, params: { latencyMs: 60_001 } }), status: 400, code: 'FST_ERR_VALIDATION', message: ['body/params/latencyMs', '<= 60000'] },
    { name: 'threads over 64', request: post({ ...base, mode: 'threads', concurrency: 65 }), status: 400, code: 'INVALID_FIELD', message: ['body/concurrency', '<= 64', 'MAX_THREADS'] },
    { name: 'body over 64 KiB', request: { method: 'POST', url: '/jobs', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ ...base, pad: 'x'.repeat(65_536) }) }, status: 413, code: 'BODY_TOO_LARGE', message: ['65536', 'BODY_LIMIT_BYTES'] }
  ])
})

test('per-task work and file memory in flight are bounded, naming the fields and the limit', async (t) => {
  const app = await buildTestApp(t)
  const hash = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'pool', params: { bytes: 16_777_216, rounds: 100_000 } } })
  assert.equal(hash.statusCode, 400)
  assert.match(hash.json().message, /body\/params\/bytes × body\/params\/rounds must be <= 4294967296 per task \(MAX_HASH_TASK_BYTES\)/)
  const work = await app.inject({ method: 'GET', url: '/work/hash?bytes=16777216&rounds=100000' })
  assert.equal(work.statusCode, 400)
  assert.match(work.json().message, /querystring\/bytes × querystring\/rounds/)
  const file = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'file', mode: 'async', concurrency: 1000, params: { bytes: 67_108_864 } } })
  assert.equal(file.statusCode, 400)
  assert.match(file.json().message, /body\/params\/bytes × concurrency must be <= 1073741824 \(MAX_FILE_INFLIGHT_BYTES\)/)
})
