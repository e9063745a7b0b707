import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify'
import { loadConfig } from '../src/config.js'
import { buildTestApp } from './support/app.js'

/**
 * Issue 11: optional authentication and read-only mode (src/plugins/auth.ts, docs/security.md). The tables are made
 * from GET /docs/json, so a route added later is covered without anyone listing it here.
 */

const API_TOKEN = 'api-token-for-tests-0123456789'
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789'
const WRONG_TOKEN = 'wrong-token-for-tests-0123456789'
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** What needs no token: the probes (an orchestrator has none). The Swagger UI is open too, but not in /docs/json. */
const PROBES = new Set(['GET /healthz', 'GET /readyz'])
/**
 * What READ_ONLY must refuse, said here independently of the route markers it tests: every method but GET changes
 * state or starts work, and GET /work/<workload> and GET /sim/delay burn CPU, memory or a connection.
 */
const burnsCpuOrChangesState = (method: string, path: string) => method !== 'GET' || /^\/(work|sim)\//.test(path)

interface Operation { security?: Array<Record<string, string[]>> }
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>
  components?: { securitySchemes?: Record<string, { type: string, scheme?: string }> }
}

/** A valid-looking value for each path parameter: the route is reached (and answers 404 for the missing thing). */
const PARAM_VALUES: Record<string, string> = { id: 'no-such-id', workload: 'no-such-workload' }

interface Request { route: string, method: HTTPMethods, url: string }

/** Every operation of GET /docs/json (itself open), as a request: `GET /jobs/{id}` → GET /jobs/no-such-id. */
async function operationsOf (app: FastifyInstance): Promise<{ document: OpenApiDocument, requests: Request[] }> {
  const response = await app.inject({ method: 'GET', url: '/docs/json' })
  assert.equal(response.statusCode, 200, 'the OpenAPI document needs no token')
  const document = response.json<OpenApiDocument>()
  const requests = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({
    route: `${method.toUpperCase()} ${path}`,
    method: method.toUpperCase() as HTTPMethods,
    url: path.replace(/\{([^}]+)\}/g, (_whole, name: string) => PARAM_VALUES[name] ?? `some-${name}`)
  })))
  assert.ok(requests.length >= 20, `only ${requests.length} operations in /docs/json`)
  return { document, requests }
}

function assertErrorShape (response: LightMyRequestResponse, statusCode: number, code: string, what: string) {
  assert.equal(response.statusCode, statusCode, `${what}: ${response.body}`)
  const body = response.json<Record<string, unknown>>()
  assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], `${what}: the error shape`)
  assert.equal(body.statusCode, statusCode, what)
  assert.equal(body.code, code, what)
  assert.equal(typeof body.error, 'string', what)
  assert.equal(typeof body.message, 'string', what)
}

test('API_TOKEN: every operation of /docs/json but the probes answers 401 without the token or with a wrong one, and runs with it', async (t) => {
  const app = await buildTestApp(t, { API_TOKEN })
  const { requests } = await operationsOf(app)
  for (const { route, method, url } of requests) {
    const none = await app.inject({ method, url })
    if (PROBES.has(route)) {
      assert.equal(none.statusCode, 200, `${route} is a probe: open`)
      continue
    }
    assertErrorShape(none, 401, 'UNAUTHORIZED', `${route} without a token`)
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="concurrency-lab"', route)
    assert.match(none.json<{ message: string }>().message, /Authorization.*API_TOKEN/, route)

    const wrong = await app.inject({ method, url, headers: bearer(WRONG_TOKEN) })
    assertErrorShape(wrong, 401, 'UNAUTHORIZED', `${route} with a wrong token`)
    assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="concurrency-lab", error="invalid_token"', route)
    assert.ok(!wrong.body.includes(WRONG_TOKEN), `${route}: the answer does not echo the token`)
    // Not a bearer token at all (Basic), and the scheme's case (RFC 6750: "Bearer" exactly)
    assert.equal((await app.inject({ method, url, headers: { authorization: `Basic ${API_TOKEN}` } })).statusCode, 401, route)

    const right = await app.inject({ method, url, headers: bearer(API_TOKEN) })
    assert.notEqual(right.statusCode, 401, `${route} with the token: ${right.body}`)
    assert.ok(right.statusCode < 500, `${route} with the token: ${right.statusCode} ${right.body}`)
  }
  // A URL no route matches needs the token as well (it answers 404 only then)
  assert.equal((await app.inject({ method: 'GET', url: '/no-such-route' })).statusCode, 401)
  assert.equal((await app.inject({ method: 'GET', url: '/no-such-route', headers: bearer(API_TOKEN) })).statusCode, 404)
})

test('READ_ONLY=true: every operation that burns CPU or changes state answers 403 READ_ONLY, every other one does not', async (t) => {
  const app = await buildTestApp(t, { READ_ONLY: 'true' })
  const { requests } = await operationsOf(app)
  const refused = requests.filter(({ method, url }) => burnsCpuOrChangesState(method, url)).map(({ route }) => route)
  // The table is not vacuous: it holds what issue 11 names on both sides.
  for (const route of ['POST /jobs', 'DELETE /jobs/{id}', 'GET /work/hash', 'GET /work/{workload}', 'GET /sim/delay', 'POST /labs/race', 'POST /timers', 'POST /experiments/compare']) {
    assert.ok(refused.includes(route), `${route} is refused`)
  }
  for (const route of ['GET /jobs', 'GET /jobs/{id}', 'GET /jobs/{id}/series', 'GET /metrics', 'GET /timers', 'GET /']) {
    assert.ok(requests.some((request) => request.route === route) && !refused.includes(route), `${route} stays open`)
  }
  for (const { route, method, url } of requests) {
    const response = await app.inject({ method, url })
    if (refused.includes(route)) {
      assertErrorShape(response, 403, 'READ_ONLY', route)
      assert.match(response.json<{ message: string }>().message, /READ_ONLY/, route)
    } else {
      assert.notEqual(response.statusCode, 403, `${route}: ${response.body}`)
      assert.ok(response.statusCode < 500, `${route}: ${response.statusCode} ${response.body}`)
    }
  }
  // HEAD of a GET route that burns CPU runs its handler: refused as well; HEAD of a reading route is not.
  assert.equal((await app.inject({ method: 'HEAD', url: '/work/hash' })).statusCode, 403)
  assert.equal((await app.inject({ method: 'HEAD', url: '/jobs' })).statusCode, 200)
  // The docs stay open
  assert.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode, 200)
})

test('API_TOKEN and READ_ONLY together: the token is checked first (401), then read-only (403)', async (t) => {
  const app = await buildTestApp(t, { API_TOKEN, READ_ONLY: 'true' })
  assertErrorShape(await app.inject({ method: 'POST', url: '/jobs' }), 401, 'UNAUTHORIZED', 'POST /jobs without a token')
  assertErrorShape(await app.inject({ method: 'POST', url: '/jobs', headers: bearer(API_TOKEN) }), 403, 'READ_ONLY', 'POST /jobs with the token')
  assertErrorShape(await app.inject({ method: 'GET', url: '/work/hash', headers: bearer(API_TOKEN) }), 403, 'READ_ONLY', 'GET /work/hash with the token')
  assert.equal((await app.inject({ method: 'GET', url: '/jobs', headers: bearer(API_TOKEN) })).statusCode, 200)
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})

test('METRICS_TOKEN opens GET /metrics (as API_TOKEN does) and nothing else; set alone it closes /metrics only', async (t) => {
  const both = await buildTestApp(t, { API_TOKEN, METRICS_TOKEN })
  const metrics = (headers: Record<string, string> = {}) => both.inject({ method: 'GET', url: '/metrics', headers })
  const scraped = await metrics(bearer(METRICS_TOKEN))
  assert.equal(scraped.statusCode, 200)
  assert.match(scraped.body, /^conclab_/m)
  assert.equal((await metrics(bearer(API_TOKEN))).statusCode, 200, 'API_TOKEN reads everything, /metrics included')
  const none = await metrics()
  assertErrorShape(none, 401, 'UNAUTHORIZED', '/metrics without a token')
  assert.match(none.json<{ message: string }>().message, /API_TOKEN or METRICS_TOKEN/)
  assert.equal((await metrics(bearer(WRONG_TOKEN))).statusCode, 401)
  assertErrorShape(await both.inject({ method: 'GET', url: '/jobs', headers: bearer(METRICS_TOKEN) }), 401, 'UNAUTHORIZED', 'METRICS_TOKEN on /jobs')

  const alone = await buildTestApp(t, { METRICS_TOKEN })
  assert.equal((await alone.inject({ method: 'GET', url: '/metrics' })).statusCode, 401)
  assert.equal((await alone.inject({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) })).statusCode, 200)
  assert.equal((await alone.inject({ method: 'GET', url: '/jobs' })).statusCode, 200, 'no API_TOKEN: the API stays open')
})

test('with API_TOKEN the OpenAPI document has the bearer scheme and each operation says whether it needs it; without, neither', async (t) => {
  const app = await buildTestApp(t, { API_TOKEN })
  const { document, requests } = await operationsOf(app)
  assert.deepEqual(document.components?.securitySchemes?.bearerAuth, {
    type: 'http',
    scheme: 'bearer',
    description: 'API_TOKEN (GET /metrics: METRICS_TOKEN too); docs/security.md'
  })
  for (const { route } of requests) {
    const [method, path] = route.split(' ') as [string, string]
    const { security } = document.paths[path]![method.toLowerCase()]!
    assert.deepEqual(security, PROBES.has(route) ? [] : [{ bearerAuth: [] }], route)
  }
  // The Swagger UI, where the token is entered ("Authorize"), loads without one
  for (const url of ['/docs', '/docs/static/swagger-ui-bundle.js', '/docs/json']) {
    assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url)
  }
  assert.ok(!(await app.inject({ method: 'GET', url: '/docs/json' })).body.includes(API_TOKEN), 'the document does not show the token')
  assert.ok(!(await app.inject({ method: 'GET', url: '/', headers: bearer(API_TOKEN) })).body.includes(API_TOKEN), 'GET / does not show the token')

  const open = await buildTestApp(t)
  const { document: plain, requests: plainRequests } = await operationsOf(open)
  assert.equal(plain.components?.securitySchemes, undefined)
  for (const { route } of plainRequests) {
    const [method, path] = route.split(' ') as [string, string]
    assert.equal(plain.paths[path]![method.toLowerCase()]!.security, undefined, route)
  }
})

test('a token must be at least 16 token characters; the start-up error names the variable, never the value', () => {
  for (const value of ['short', 'has spaces in it here', 'x'.repeat(15), 'ünïcödé-ünïcödé-ünïcödé']) {
    for (const name of ['API_TOKEN', 'METRICS_TOKEN']) {
      assert.throws(() => loadConfig({ [name]: value }, {}), (error: Error) => {
        assert.match(error.message, new RegExp(`env/${name} `))
        assert.ok(!error.message.includes(value), error.message)
        return true
      }, `${name}=${value}`)
    }
  }
  assert.equal(loadConfig({ API_TOKEN: 'Abc123._~+/-abcdefgh==' }, {}).API_TOKEN, 'Abc123._~+/-abcdefgh==')
  assert.equal(loadConfig({}, {}).READ_ONLY, 'false')
  assert.throws(() => loadConfig({ READ_ONLY: 'yes' }, {}), /env\/READ_ONLY must be one of: true, false/)
})

test('the service started with API_TOKEN logs neither its token nor a caller\'s, at LOG_LEVEL=trace', { timeout: 60_000 }, async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: new URL('..', import.meta.url),
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'trace', PROBE_LOG_LEVEL: 'trace', LOG_PRETTY: 'false', API_TOKEN, METRICS_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${output}`)))
  })
  assert.equal((await fetch(`${url}/jobs`, { headers: bearer(API_TOKEN) })).status, 200)
  assert.equal((await fetch(`${url}/jobs`, { headers: bearer(WRONG_TOKEN) })).status, 401)
  assert.equal((await fetch(`${url}/metrics`, { headers: bearer(METRICS_TOKEN) })).status, 200)
  child.kill('SIGTERM')
  if (child.exitCode === null) await once(child, 'exit')
  assert.equal(child.exitCode, 0, output)
  assert.match(output, /unauthorized/, 'the refused request is logged')
  for (const token of [API_TOKEN, METRICS_TOKEN, WRONG_TOKEN]) assert.ok(!output.includes(token), `the log shows ${token}:\n${output}`)
})
