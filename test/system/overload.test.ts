import assert from 'node:assert/strict'
import { test } from 'node:test'
import { errorCode, histogram, LoadDriver, maxOf, overloadAnswerProblem, percentile, send, type Answer, type LoadRequest } from '../support/load-driver.js'
import { COMPARE_REQUEST, LAB_REQUESTS, submitJob, WORK_REQUESTS } from '../support/load-mix.js'
import { cmdlineOf, fdCount, rssBytes, running, threadCount } from '../support/load-proc.js'
import { describeProbes, HealthProber, histogramBetween, histogramBuckets, Sampler, type Probe } from '../support/load-probe.js'
import { startBuiltService, type LoadService } from '../support/load-service.js'

/*
 * Issue 11, "Overload" and "SIGTERM under load": the compiled service (as `npm start` runs it) under 200 concurrent
 * connections on the routes that start work — jobs of every mode and workload, the three labs, compare and the
 * single-task /work routes — answers only 2xx, or 429/503 with Retry-After in the error shape; /healthz, probed every
 * 100 ms from a thread of its own, answers throughout (see HEALTHZ_MAX_MS), and the service's own event loop is never
 * late by a second; its memory stays inside the budget below.
 * Then SIGTERM while the load still runs and a processes job holds two children: exit 0 within SHUTDOWN_GRACE_MS,
 * and no child left.
 *
 * Phases, after a warm-up (see warmUp), while the load runs throughout: A, the labs and /work alone (jobs would keep the run slot, MAX_RUNNING_JOBS = 1,
 * busy all the time, and a freed slot goes to a queued job first, so labs would only ever answer 429); B, every route;
 * C, a long processes job is submitted (from another client address: 127.0.0.1 is over its rate limit by then) and
 * SIGTERM comes once its children run.
 */

const MiB = 1024 * 1024
const CONNECTIONS = 200
/**
 * The connections open over this long, one every 15 ms, not in one instant: with all 200 at once, /healthz took
 * 1.0–1.2 s in the first second even on a warm service (measured here), while the service's own event-loop delay
 * stayed under 0.25 s: the probe's new connection waits its turn behind 200 others' first requests.
 */
const RAMP_MS = 3000
const PHASE_A_MS = 6000
const PHASE_B_MS = 10_000
const SHUTDOWN_GRACE_MS = 4000
const DAEMON_SHUTDOWN_WAIT_MS = 1000
/**
 * /healthz: every probe answers 200 within the prober's 2 s, and 99 % of them within HEALTHZ_MAX_MS. Not all: the
 * service shares two cores with this load generator (a core of its own at full speed) and with whatever else the
 * machine runs, and one probe in a run now and then is late for that (measured here: max 0.1–0.3 s in most runs,
 * 1.04 s once, p99 ≤ 0.94 s; the service's own event-loop delay max ≤ 0.22 s).
 */
const HEALTHZ_MAX_MS = 1000
const HEALTHZ_WITHIN_MS_SHARE = 0.99

/*
 * The memory budget, as docker-compose sets one: PRESSURE_MAX_RSS_BYTES is where the service starts refusing new
 * work (503 UNDER_PRESSURE); the budget above it is what work admitted before that may still add. Admitted work is
 * bounded by the config: one measured run at a time (MAX_RUNNING_JOBS = 1) of at most MAX_JOB_MEMORY_BYTES (its data
 * and the workers it starts: 2 children × 64 MiB, plus their copies of the data, for the processes jobs
 * here), or a lab of LAB_MAX_WORKERS threads (≈ 12 MiB each, under that); MAX_WORK_IN_FLIGHT /work tasks of 4 KiB; and 200 request bodies of ≤ BODY_LIMIT_BYTES
 * (64 KiB: 12.5 MiB). The budget covers the service and its children together, as a container's memory limit does.
 * Measured here (2-core VM, Node 20): ≈ 155 MiB idle; at the peak of this load 245–305 MiB for the service, 335–410 MiB
 * with its children (≈ 50 MiB each); Node 24 (CI) reached 405 MiB for the service alone, hence 512 MiB.
 */
const PRESSURE_MAX_RSS_BYTES = 512 * MiB
const MAX_JOB_MEMORY_BYTES = 160 * MiB
const MEMORY_BUDGET_BYTES = PRESSURE_MAX_RSS_BYTES + MAX_JOB_MEMORY_BYTES

const ENV = {
  POOL_SIZE: '2',
  MAX_QUEUED_JOBS: '8',
  MAX_WORK_IN_FLIGHT: '32',
  MAX_JOB_MEMORY_BYTES: String(MAX_JOB_MEMORY_BYTES),
  PRESSURE_MAX_RSS_BYTES: String(PRESSURE_MAX_RSS_BYTES),
  // per client address: 200 requests that start work per second at most, so jobs and labs are refused for their
  // own reasons (JOB_QUEUE_FULL, CORES_BUSY, LAB_BUSY) as well as RATE_LIMITED; GET /work is bounded by its slots
  RATE_LIMIT_MAX: '1000',
  RATE_LIMIT_WINDOW_MS: '5000',
  LAB_MAX_WORKERS: '4',
  LAB_MAX_OPERATIONS: '100000',
  LAB_MAX_MS: '5000',
  SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
  DAEMON_SHUTDOWN_WAIT_MS: String(DAEMON_SHUTDOWN_WAIT_MS)
}

/** Runs for hours unless stopped: a non-daemon job that is running with its two children when SIGTERM comes. */
const LONG_JOB: LoadRequest = {
  route: 'long job',
  method: 'POST',
  path: '/jobs',
  body: { workload: 'db', mode: 'processes', tasks: 1_000_000, concurrency: 2, params: { latencyMs: 5 } }
}
const OTHER_CLIENT = '127.0.0.2'
const WARM_UP_CLIENT = '127.0.0.3'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Half the users on /work, the rest on labs (phase A), or on jobs, labs and compare (from phase B). */
function mix (phaseB: () => boolean) {
  return (user: number, n: number): LoadRequest => {
    const i = user * 7919 + n
    const slot = i % 20
    if (slot < 10) return WORK_REQUESTS[i % WORK_REQUESTS.length]!
    if (!phaseB() || slot >= 16) return slot === 19 && phaseB() ? COMPARE_REQUEST : LAB_REQUESTS[i % LAB_REQUESTS.length]!
    return submitJob(i, slot === 15)
  }
}

/**
 * Every route and code path the load takes, first one request at a time, then in small bursts that meet every
 * refusal (LAB_BUSY, CORES_BUSY, JOB_QUEUE_FULL, WORK_BUSY), from a client address of its own (it spends none of
 * 127.0.0.1's rate). The overload meets a service that has served before, as after a deploy: on a cold one, the
 * first burst runs on code V8 has not compiled yet (measured here: /healthz took 1–2 s in the first second of the
 * burst, from curl in another process too, and again when the first jobs ran).
 */
async function warmUp (service: LoadService): Promise<void> {
  const one = (request: LoadRequest) => send(service.url, request, { localAddress: WARM_UP_CLIENT, timeoutMs: 30_000 })
  for (const request of [...Array.from({ length: 20 }, (_, n) => submitJob(n, true)), ...LAB_REQUESTS, COMPARE_REQUEST, ...WORK_REQUESTS]) {
    const answer = await one(request)
    assert.equal(answer.status, 200, `warm-up ${request.method} ${request.path}: ${answer.body}`)
  }
  const bursts = [
    Array.from({ length: 30 }, (_, n) => LAB_REQUESTS[n % LAB_REQUESTS.length]!),
    Array.from({ length: 30 }, (_, n) => submitJob(n)),
    Array.from({ length: 100 }, (_, n) => WORK_REQUESTS[n % WORK_REQUESTS.length]!)
  ]
  for (const burst of bursts) {
    for (const answer of await Promise.all(burst.map(one))) {
      assert.equal(overloadAnswerProblem(answer), undefined, `warm-up ${answer.request.method} ${answer.request.path}`)
    }
  }
}

/** Submits the long job from another client address until the queue takes it, then waits for its children. */
async function startLongJob (service: LoadService): Promise<{ id: string, children: number[] }> {
  const deadline = performance.now() + 10_000
  let answer: Answer
  for (;;) {
    answer = await send(service.url, LONG_JOB, { localAddress: OTHER_CLIENT, timeoutMs: 5000 })
    if (answer.status === 202) break
    // Refused while the queue is full (429) or while the service sheds load (503 UNDER_PRESSURE): try again.
    assert.ok(answer.status === 429 || answer.status === 503, answer.body)
    assert.ok(performance.now() < deadline, `the long job was refused for 10 s: ${answer.body}`)
    await sleep(20)
  }
  const { id } = JSON.parse(answer.body) as { id: string }
  for (;;) {
    const children = service.descendants().filter((child) => running(child) && cmdlineOf(child.pid).includes('process-entry'))
    if (children.length === 2) return { id, children: children.map((child) => child.pid) }
    assert.ok(performance.now() < deadline, `the long job ${id} has not started its children within 10 s`)
    await sleep(50)
  }
}

test('overload: 200 connections on jobs, labs, compare and /work; then SIGTERM under load exits 0 in its grace with no child left', { timeout: 60_000 }, async (t) => {
  const service = await startBuiltService(t, ENV)
  const idle = { rss: rssBytes(service.pid)!, fds: fdCount(service.pid)!, threads: threadCount(service.pid)! }

  /** the service and every child it has now: what a container's memory limit counts */
  const treeRss = () => {
    const own = rssBytes(service.pid)
    if (own === undefined) return undefined
    return service.descendants().filter(running).reduce((sum, child) => sum + (rssBytes(child.pid) ?? 0), own)
  }
  const rss = new Sampler(() => rssBytes(service.pid), 100)
  const tree = new Sampler(treeRss, 100)
  const threads = new Sampler(() => threadCount(service.pid), 100)
  t.after(() => { rss.stop(); tree.stop(); threads.stop() })
  const prober = new HealthProber(service.url)
  t.after(() => prober.stop())

  let phaseB = false
  let sigtermAt = Infinity
  /** answers after SIGTERM, checked apart (see the subtest below) */
  const afterSigterm: Answer[] = []
  const refusals = { before: new Map<string, number>(), after: new Map<string, number>() }
  const driver = new LoadDriver(service.url, {
    connections: CONNECTIONS,
    rampMs: RAMP_MS / CONNECTIONS,
    next: mix(() => phaseB),
    check: (answer) => answer.at < sigtermAt ? overloadAnswerProblem(answer) : undefined,
    requestTimeoutMs: 20_000,
    onAnswer: (answer) => {
      if (answer.at >= sigtermAt) afterSigterm.push(answer)
      if (answer.status < 400) return
      const counts = answer.at < sigtermAt ? refusals.before : refusals.after
      const key = `${answer.status} ${errorCode(answer)}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
  })
  t.after(() => driver.destroy())
  const warmupStarted = performance.now()
  await warmUp(service)
  const metrics = () => send(service.url, { route: 'metrics', method: 'GET', path: '/metrics' }, { localAddress: OTHER_CLIENT, timeoutMs: 10_000, keepBytes: Infinity })
  const delayBefore = histogramBuckets((await metrics()).body, 'conclab_event_loop_delay_seconds')
  const loadStarted = performance.now()
  driver.start()

  await sleep(PHASE_A_MS)
  const labsInPhaseA = [...driver.byRoute].filter(([route]) => route.startsWith('POST /labs/')).reduce((sum, [, counts]) => sum + (counts.get('200') ?? 0), 0)
  phaseB = true
  await sleep(PHASE_B_MS)
  const longJob = await startLongJob(service)
  const loopDelay = histogramBetween(delayBefore, histogramBuckets((await metrics()).body, 'conclab_event_loop_delay_seconds'))

  sigtermAt = performance.now()
  const answersBefore = driver.answers
  const totalsBefore = driver.totals()
  const failuresBefore = driver.failures.filter((failure) => failure.at < sigtermAt)
  process.kill(service.pid, 'SIGTERM')
  const exit = await Promise.race([service.exited, sleep(SHUTDOWN_GRACE_MS + 5000).then(() => undefined)])
  const exitMs = exit ? exit.at - sigtermAt : Number.NaN
  const leftAtExit = service.descendants().filter(running)
  driver.destroy()
  await driver.stop()
  await prober.stop()
  rss.stop()
  tree.stop()
  threads.stop()

  // Probes answered before SIGTERM, or due long enough before it that they should have been.
  const duringLoad = prober.probes.filter((probe) => probe.at >= loadStarted && Math.min(probe.at + probe.ms, probe.at + HEALTHZ_MAX_MS) < sigtermAt)
  console.log(`# idle: rss ${(idle.rss / MiB).toFixed(0)} MiB, ${idle.fds} fds, ${idle.threads} threads`)
  console.log(`# load: ${answersBefore} answers in ${((sigtermAt - loadStarted) / 1000).toFixed(1)} s from ${CONNECTIONS} connections (${(answersBefore / (sigtermAt - loadStarted) * 1000).toFixed(0)}/s): ${histogram(totalsBefore)}`)
  for (const [route, counts] of [...driver.byRoute].sort()) console.log(`#   ${route}: ${histogram(counts)}`)
  console.log(`# refusals before SIGTERM: ${histogram(refusals.before)}`)
  console.log(`# answer ms: p50 ${percentile(driver.latenciesMs, 50).toFixed(0)}, p99 ${percentile(driver.latenciesMs, 99).toFixed(0)}, max ${maxOf(driver.latenciesMs).toFixed(0)}`)
  console.log(`# /healthz during the warm-up: ${describeProbes(prober.between(warmupStarted, loadStarted))}; during the load: ${describeProbes(duringLoad)}`)
  console.log(`# the service's event-loop delay during the load (its own 10 ms timer, conclab_event_loop_delay_seconds): ${loopDelay.count} samples, p50 ≤ ${(loopDelay.quantile(0.5) * 1000).toFixed(1)} ms, p99 ≤ ${(loopDelay.quantile(0.99) * 1000).toFixed(0)} ms, max ≤ ${(loopDelay.max * 1000).toFixed(0)} ms`)
  console.log(`# rss: service max ${(rss.max / MiB).toFixed(0)} MiB, service + children max ${(tree.max / MiB).toFixed(0)} MiB (budget ${MEMORY_BUDGET_BYTES / MiB} MiB, shedding from ${PRESSURE_MAX_RSS_BYTES / MiB} MiB); threads max ${threads.max}`)
  console.log(`# SIGTERM: exit ${exit ? `${exit.signal ?? exit.code} after ${exitMs.toFixed(0)} ms` : 'none'}; children seen ${service.descendants().length}, left at exit ${leftAtExit.length}; answers after SIGTERM: ${histogram(refusals.after)}`)

  assert.deepEqual(failuresBefore.map((failure) => `${failure.request.route}: ${failure.code}`), [], 'every request before SIGTERM was answered')
  assert.equal(driver.problemCount, 0, `answers before SIGTERM that are not 2xx, or 429/503 with Retry-After in the error shape:\n${driver.problems.join('\n')}`)
  for (const route of ['POST /jobs', 'GET /work/hash', 'GET /work/db', 'GET /work/net', 'GET /work/file']) {
    assert.ok(driver.byRoute.get(route)?.get(route === 'POST /jobs' ? '202' : '200'), `${route} succeeded at least once`)
  }
  assert.ok(labsInPhaseA > 0, 'a lab ran while no job kept the cores')
  assert.ok(duringLoad.length >= 0.9 * (sigtermAt - loadStarted) / 100, `a probe every 100 ms: ${duringLoad.length}`)
  const describe = (probe: Probe) => `at ${((probe.at - loadStarted) / 1000).toFixed(1)} s: ${probe.status} in ${probe.ms.toFixed(0)} ms`
  assert.deepEqual(duringLoad.filter((probe) => probe.status !== 200).map(describe), [], '/healthz answered 200 (within 2 s) throughout')
  const slow = duringLoad.filter((probe) => probe.ms >= HEALTHZ_MAX_MS)
  assert.ok(slow.length <= (1 - HEALTHZ_WITHIN_MS_SHARE) * duringLoad.length,
    `/healthz answered within ${HEALTHZ_MAX_MS} ms ${duringLoad.length - slow.length} times of ${duringLoad.length}, slower: ${slow.map(describe).join(', ')}`)
  assert.ok(loopDelay.max < HEALTHZ_MAX_MS, `the service's event loop was late by up to ${(loopDelay.max * 1000).toFixed(0)} ms`)
  assert.ok(tree.max < MEMORY_BUDGET_BYTES, `the service and its children held at most ${(tree.max / MiB).toFixed(0)} MiB, over the ${MEMORY_BUDGET_BYTES / MiB} MiB budget`)

  assert.ok(exit, `the service did not exit within ${SHUTDOWN_GRACE_MS + 5000} ms of SIGTERM:\n${service.output()}`)
  assert.equal(exit.code, 0, `exit ${exit.signal ?? exit.code}:\n${service.output()}`)
  assert.ok(exitMs < SHUTDOWN_GRACE_MS, `exited ${exitMs.toFixed(0)} ms after SIGTERM, SHUTDOWN_GRACE_MS is ${SHUTDOWN_GRACE_MS}`)
  assert.equal(service.grep(/"signal":"SIGTERM"/).length, 1, 'the service logged the SIGTERM it shut down on')
  assert.ok(service.descendants().some((child) => longJob.children.includes(child.pid)), 'the long job\'s children were seen')
  assert.deepEqual(leftAtExit.map((child) => `${child.pid} ${cmdlineOf(child.pid)}`), [], 'no child of the service outlived it')
  for (const answer of afterSigterm) {
    assert.ok((answer.status >= 200 && answer.status < 300) || answer.status === 429 || answer.status === 503, `after SIGTERM: ${answer.status} ${answer.body.slice(0, 200)}`)
  }

  await t.test('answers during shutdown also carry Retry-After and the error shape', () => {
    const problems = afterSigterm.map((answer) => overloadAnswerProblem(answer)).filter((problem) => problem !== undefined)
    assert.deepEqual([...new Set(problems.map((problem) => problem.slice(0, 200)))], [])
  })
})
