import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { test } from 'node:test'
import { ConfigSchema } from '../../src/config.js'
import { listenTestApp } from '../support/app.js'
import { OperationCases, type FuzzRequest } from '../support/fuzz-cases.js'
import { histograms, problemGroups, type Exchange } from '../support/fuzz-checks.js'
import { FuzzClient, inBatches } from '../support/fuzz-http.js'
import { SeededRandom } from '../support/fuzz-random.js'
import { rawVariants } from '../support/fuzz-raw.js'
import { census, leaksBetween } from '../support/fuzz-resources.js'
import { operationsOf } from '../support/fuzz-schema.js'

/*
 * Issue 11, "Fuzz": requests generated from the service's own OpenAPI document (/docs/json) — bounds and one past
 * them, wrong types, missing and unknown fields, NaN/Infinity/1e309 strings, huge, unicode and deeply nested values,
 * bad media types, broken and oversize bodies, hostile path parameters, headers and raw HTTP framing — sent over
 * real sockets to a listening service, 8 at a time:
 *
 *   /docs/json ─▶ every operation ─▶ every mutation once + random valid requests with random mutations (seeded)
 *              ─▶ the same operations with ids that exist ─▶ no 500, a 5xx only by design, errors in shape
 *              ─▶ cancel what is left ─▶ /healthz, /readyz, and threads, children, temp dirs, fds as before
 *
 * Reproduce a run's requests with FUZZ_SEED=<the seed the summary prints>; FUZZ_DUMP=<file> writes every exchange.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 11_2026)
/** random valid requests with one or two random mutations, after every mutation once */
const RANDOM_REQUESTS = 1_500
const CONCURRENCY = 8
/** the longest an answer may take: a ?wait=true job behind MAX_QUEUED_JOBS others, a compare of 5 runs */
const ANSWER_TIMEOUT_MS = 30_000
/** requests per operation that takes an id, made with ids that exist (the second phase) */
const WITH_IDS_PER_OPERATION = 20
/**
 * Open file descriptors (the pooled upstream sockets apart) allowed beyond the count before the fuzz, which is
 * repeated for up to 10 s until it is back down: a socket or a thread's epoll/eventfd Node closes a loop turn after
 * its 'close' event may still be listed at the last count. A leak grows with the requests: tens or hundreds.
 */
const FD_TOLERANCE = 2
/**
 * Requests stop being sent after this long (the rest are counted as not sent), so a slow machine does not run
 * into the test's timeout: about 30 s are needed on an idle 2-core machine.
 */
const SEND_BUDGET_MS = 75_000

// Every limit small, so a valid request generated at the top of a range still answers within seconds.
const OVERRIDES = {
  POOL_SIZE: 2,
  MAX_TASKS: 50,
  MAX_CONCURRENCY: 8,
  MAX_THREADS: 4,
  MAX_PROCESSES: 2,
  MAX_BATCH: 10,
  MAX_RATE: 1000,
  MAX_WARMUP_MS: 200,
  MAX_HASH_BYTES: 65_536,
  MAX_HASH_ROUNDS: 100,
  MAX_HASH_TASK_BYTES: 4 * 1024 * 1024,
  MAIN_THREAD_WORK_MAX_BYTES: 1024 * 1024,
  MAX_LATENCY_MS: 200,
  MAX_DB_CONNECTIONS: 100,
  MAX_FILE_BYTES: 65_536,
  MAX_FILE_INFLIGHT_BYTES: 1024 * 1024,
  DEFAULT_JOB_TIMEOUT_MS: 2000,
  MAX_JOB_TIMEOUT_MS: 2000,
  MAX_START_DELAY_MS: 200,
  MAX_RUNNING_JOBS: 2, // a lab can run beside a job now and then, instead of always answering 429 CORES_BUSY
  MAX_QUEUED_JOBS: 2,
  RATE_LIMIT_MAX: 0, // off: validation is what is exercised
  RATE_LIMIT_WORK_MAX: 0,
  BODY_LIMIT_BYTES: 256 * 1024, // above the 100 000-character strings, so they reach validation
  SIM_MAX_DELAY_MS: 200,
  SIM_MAX_BYTES: 65_536,
  LAB_MAX_WORKERS: 4,
  LAB_MAX_OPERATIONS: 100_000,
  LAB_MAX_MS: 2000,
  MAX_TIMERS: 5,
  MAX_TIMER_DELAY_MS: 200,
  MAX_TIMER_FIRES: 3,
  MAX_COMPARE_RUNS: 4,
  REQUEST_TIMEOUT_MS: 2000 // a body shorter than its content-length is answered 408 within about 2 s, not 30
}

const CONFIG_NAMES = new Set(Object.keys(ConfigSchema.properties))

interface Json { status: number | undefined, json: any }

test('fuzz: thousands of requests generated from /docs/json; no 500, errors in shape, healthy and leak-free after', { timeout: 115_000 }, async (t) => {
  const started = performance.now()
  const client = new FuzzClient(ANSWER_TIMEOUT_MS)
  t.after(() => client.close()) // before app.close(), registered next: it would wait for open connections
  const { app, url } = await listenTestApp(t, OVERRIDES)
  const origin = new URL(url)
  const upstreamPort = Number(new URL(app.lab.upstreamUrl).port)
  const { config } = app.lab

  /** A control request (not fuzz), over a connection of its own like the fuzz: no keep-alive socket stays behind. */
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const answer = await client.send(origin, {
      op: 'control',
      what: 'control',
      method,
      path,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) })
    })
    try {
      return { status: answer.status, json: JSON.parse(answer.body.toString('utf8')) }
    } catch {
      return { status: answer.status, json: undefined }
    }
  }

  const document = (await call('GET', '/docs/json')).json
  assert.match(String(document?.openapi), /^3\./, 'an OpenAPI 3 document')
  const operations = operationsOf(document)
  assert.ok(operations.length >= 20, `operations: ${operations.map((operation) => operation.key).join(', ')}`)

  // Warm-up: what starts lazily (libuv's thread pool, each mode's first workers, the upstream's first connections)
  // is there before the first count.
  const unavailable = app.lab.modes.unavailable(app.lab.config)
  for (const mode of app.lab.modes.names.filter((name) => !(name in unavailable))) {
    for (const workload of ['hash', 'file', 'net']) {
      const job = await call('POST', '/jobs?wait=true', { workload, mode, tasks: 4, concurrency: mode === 'inline' ? 1 : 2 })
      assert.equal(job.status, 200, `warm-up ${mode}/${workload}: ${JSON.stringify(job.json)}`)
    }
  }
  for (const path of ['/work/file', '/work/net', '/work/hash?mode=pool', '/work/db?mode=pool', '/sim/delay?ms=1']) {
    assert.equal((await call('GET', path)).status, 200, path)
  }
  assert.equal((await call('POST', '/labs/race', { workers: 2, increments: 10 })).status, 200)

  /** Resolves once no job runs or waits, no job thread or child lives and the pool is full: then a count means something. */
  const settle = async (what: string): Promise<string | undefined> => {
    const deadline = Date.now() + 15_000
    for (;;) {
      const { status, json } = await call('GET', '/readyz')
      const idle = status === 200 && json?.jobs?.running === 0 && json?.jobs?.queued === 0 && json?.pool?.threads === config.POOL_SIZE &&
        Object.entries(json?.workers ?? {}).every(([mode, count]) => mode === 'pool' || count === 0)
      if (idle) return undefined
      if (Date.now() > deadline) return `${what}: GET /readyz did not settle within 15 s: ${status} ${JSON.stringify(json)}`
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  assert.equal(await settle('before the fuzz'), undefined)
  const before = census(upstreamPort)

  // Phase 1: every mutation of every operation once, raw HTTP made from each operation's valid request, then random
  // valid requests with random mutations; all in a seeded order.
  const random = new SeededRandom(SEED)
  const limits = { bodyLimit: config.BODY_LIMIT_BYTES, maxHeaderBytes: config.MAX_HEADER_BYTES }
  const cases = operations.map((operation) => new OperationCases(operation, limits))
  const firstPhase = cases.flatMap((operationCases) => operationCases.deterministic())
  for (const operationCases of cases) {
    const valid = operationCases.request(operationCases.draft(), 'valid')
    for (const variant of rawVariants(valid)) {
      firstPhase.push({ ...valid, what: `raw: ${variant.label}`, raw: variant.bytes(origin), ...(variant.mayReset ? { mayReset: true } : {}) })
    }
  }
  for (let i = 0; i < RANDOM_REQUESTS; i++) firstPhase.push(random.pick(cases).random(random))
  const exchanges: Exchange[] = []
  const sendUntil = started + SEND_BUDGET_MS
  let notSent = 0
  const run = async (requests: FuzzRequest[]) => {
    const answers = await inBatches(requests, CONCURRENCY, (request) => client.send(origin, request), sendUntil)
    requests.forEach((request, i) => {
      const answer = answers[i]
      if (answer) exchanges.push({ request, answer })
      else notSent++
    })
  }
  await run(random.shuffle(firstPhase))

  // Phase 2: the operations on one resource, with ids that exist (from the 2xx answers of the POST that makes them).
  const idsByCollection = new Map<string, Set<string>>()
  for (const { request, answer } of exchanges) {
    if (request.method !== 'POST' || !answer.status || answer.status >= 300) continue
    let id: unknown
    try {
      id = JSON.parse(answer.body.toString('utf8')).id
    } catch {
      continue
    }
    if (typeof id !== 'string') continue
    const collection = request.path.split('?')[0]!
    idsByCollection.set(collection, (idsByCollection.get(collection) ?? new Set()).add(id))
  }
  const secondPhase: FuzzRequest[] = []
  for (const operationCases of cases) {
    const { pathParams, path } = operationCases.operation
    const ids = [...idsByCollection.get(path.split('/{')[0]!) ?? []]
    if (pathParams.length !== 1 || ids.length === 0) continue
    for (let i = 0; i < WITH_IDS_PER_OPERATION; i++) {
      const pathValues = { [pathParams[0]!.name]: encodeURIComponent(random.pick(ids)) }
      secondPhase.push(i % 4 === 0
        ? operationCases.request(operationCases.draft(undefined, pathValues), 'valid, an id that exists')
        : operationCases.random(random, pathValues))
    }
  }
  await run(random.shuffle(secondPhase))
  const fuzzSeconds = (performance.now() - started) / 1000

  // What the fuzz left running, cancelled through the API; then the service must be healthy, idle and leak-free.
  for (const status of ['queued', 'running']) {
    const { json } = await call('GET', `/jobs?status=${status}&limit=${config.MAX_STORED_JOBS}`)
    for (const job of json?.jobs ?? []) await call('DELETE', `/jobs/${encodeURIComponent(job.id)}`)
  }
  for (const state of ['scheduled', 'fired']) {
    const { json } = await call('GET', `/timers?state=${state}`)
    for (const timer of json?.timers ?? []) await call('DELETE', `/timers/${encodeURIComponent(timer.id)}`)
  }
  const problems: string[] = []
  const healthz = await call('GET', '/healthz')
  if (healthz.status !== 200) problems.push(`GET /healthz answered ${healthz.status} after the fuzz`)
  const unsettled = await settle('after the fuzz')
  if (unsettled) problems.push(unsettled)
  // Counted again until back down (threads exit and sockets close asynchronously), for at most 10 s.
  let after = census(upstreamPort)
  for (const deadline = Date.now() + 10_000; leaksBetween(before, after, FD_TOLERANCE).length > 0 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    after = census(upstreamPort)
  }
  problems.push(...leaksBetween(before, after, FD_TOLERANCE))

  const { perOperation, statuses } = histograms(exchanges)
  const listed = (map: Map<string, number>) => [...map].sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => `${key}: ${count}`).join(', ')
  console.log(`fuzz seed ${SEED}: ${exchanges.length} requests (${firstPhase.length} + ${secondPhase.length} with ids that exist) in ${fuzzSeconds.toFixed(1)} s, ${CONCURRENCY} at a time${notSent > 0 ? `; ${notSent} not sent (SEND_BUDGET_MS)` : ''}`)
  console.log(`fuzz statuses: ${listed(statuses)}`)
  console.log(`fuzz per operation: ${listed(perOperation)}`)
  console.log(`fuzz before → after: threads ${before.threads} → ${after.threads}, children ${before.children.length} → ${after.children.length}, ` +
    `temp dirs ${before.fileDirs.length} → ${after.fileDirs.length}, fds ${before.fdTotal} → ${after.fdTotal} (upstream sockets ${before.upstreamSockets} → ${after.upstreamSockets}; by kind ${JSON.stringify(before.fds)} → ${JSON.stringify(after.fds)})`)

  assert.ok(exchanges.length >= 2000, `${exchanges.length} requests`)
  for (const operation of operations) {
    const count = perOperation.get(operation.key) ?? 0
    if (count < 20) problems.push(`${operation.key} got only ${count} requests`)
  }
  problems.push(...problemGroups(exchanges, CONFIG_NAMES))
  if (process.env.FUZZ_DUMP) {
    writeFileSync(process.env.FUZZ_DUMP, exchanges.map(({ request, answer }) => JSON.stringify({
      op: request.op, what: request.what, path: request.path.slice(0, 300), status: answer.status, error: answer.error, ms: Math.round(answer.ms), body: answer.body.toString('utf8').slice(0, 500)
    })).join('\n'))
  }
  if (problems.length > 0) console.log(`fuzz problems:\n  ${problems.join('\n  ')}`)
  assert.deepEqual(problems, [], `${problems.length} problem(s), listed above`)
})
