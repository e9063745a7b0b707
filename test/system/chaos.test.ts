/**
 * Chaos (issue 11): while jobs run in every spawning mode (threads, pool, processes) and net jobs call the upstream
 * thread, pool threads, job threads, child processes and the upstream are killed at random. Every job must end in a
 * terminal state within a bound, with counts that add up (the report, the progress and conclab_tasks_total agree),
 * tasks may fail only when something they depend on was killed, the service must recover (pool refilled, upstream
 * up, /readyz 200, jobs succeed again) and nothing may be left (threads, children, temp dirs).
 *
 * The schedule is drawn from a seeded generator: CHAOS_SEED=<seed> replays the same draws (job mix, gaps, kinds, which
 * of the targets present); what is present at each moment still depends on the machine's timing. The seed is in the
 * test's name, in a diagnostic and in the failure message, and every kill is listed as a diagnostic.
 */
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { FINISHED, type Job } from '../../src/jobs/job.js'
import { seededRandom } from '../../src/workloads/seeded-random.js'
import { buildTestApp, childPids, fileDirsOf, submitJob, waitFor } from '../support/app.js'
import { KILL_KINDS, killOne, osThreadCount, ServiceThreads, type Kill, type KillKind } from '../support/chaos-targets.js'
import { parsePrometheusText, valueOf } from '../support/prometheus-text.js'

const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Date.now() % 2 ** 32
const POOL_SIZE = 2
/** jobs live at once (and MAX_RUNNING_JOBS: they run together, so every kind of target is usually there) */
const LIVE_JOBS = 4
const CHAOS_MS = 16_000
/** a kill every 0.5 … 1.5 s: about 16 in all, and bursts */
const KILL_GAP_MS: [number, number] = [500, 1_500]
/** how often a kill is followed at once (30 … 300 ms) by another of the same kind: a replacement killed as it starts */
const BURST_CHANCE = 0.3
const BURST_GAP_MS: [number, number] = [30, 300]
/**
 * Bounds: once the chaos stops every job must have ended within END_BOUND_MS; the service must be ready and full
 * again within RECOVERY_MS; the jobs after the chaos must be done within AFTER_BOUND_MS; nothing may be left
 * LEFTOVER_MS later. Together they keep even a failing run under the test's 60 s.
 */
const END_BOUND_MS = 10_000
const RECOVERY_MS = 6_000
const AFTER_BOUND_MS = 8_000
const LEFTOVER_MS = 5_000
/** what a restarted upstream may still break: a net task that started before its kill, or ran while it was down */
const UPSTREAM_SHADOW_MS = 5_000

/** A bound to race a wait against: it does not hold the process once the wait has won. */
const bound = (ms: number) => sleep(ms, undefined, { ref: false })

type Spec = Record<string, unknown> & { workload: string, mode: string, tasks: number }

/** The chaos jobs: about 1 s of work each, in every spawning mode, net ones in every mode that calls the upstream. */
const SPECS: Spec[] = [
  { workload: 'db', mode: 'threads', tasks: 240, concurrency: 3, params: { latencyMs: 10 } },
  { workload: 'file', mode: 'threads', tasks: 200, concurrency: 2, params: { bytes: 8192 } },
  { workload: 'net', mode: 'threads', tasks: 240, concurrency: 3, params: { latencyMs: 10, bytes: 256 } },
  { workload: 'hash', mode: 'pool', tasks: 300, concurrency: 4, batch: 2, params: { bytes: 262_144, rounds: 4 } },
  { workload: 'db', mode: 'pool', tasks: 200, concurrency: 4, batch: 2, params: { latencyMs: 10 } },
  { workload: 'net', mode: 'pool', tasks: 300, concurrency: 4, batch: 3, params: { latencyMs: 10, bytes: 256 } },
  { workload: 'db', mode: 'processes', tasks: 200, concurrency: 2, batch: 2, params: { latencyMs: 10 } },
  { workload: 'file', mode: 'processes', tasks: 200, concurrency: 2, batch: 4, params: { bytes: 8192 } },
  { workload: 'net', mode: 'processes', tasks: 200, concurrency: 2, batch: 2, params: { latencyMs: 10, bytes: 256 } },
  { workload: 'net', mode: 'async', tasks: 300, concurrency: 4, params: { latencyMs: 10, bytes: 256 } }
]

/** Which kills can fail a task of this job. */
function dependsOn (spec: Spec): Set<KillKind> {
  const kinds = new Set<KillKind>()
  if (spec.mode === 'threads') kinds.add('job thread')
  if (spec.mode === 'pool') kinds.add('pool thread')
  if (spec.mode === 'processes') kinds.add('child')
  if (spec.workload === 'net') kinds.add('upstream')
  return kinds
}

const small = (spec: Spec): Spec => ({ ...spec, tasks: 20 })

interface Tracked { job: Job, spec: Spec, submittedMs: number, endedMs?: number }

test(`chaos: kills during jobs in every spawning mode end every job with exact counts; the service recovers and leaks nothing (seed ${SEED})`, { timeout: 60_000 }, async (t) => {
  t.diagnostic(`chaos seed ${SEED} (CHAOS_SEED=${SEED} replays the schedule)`)
  const random = seededRandom(SEED, 0)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const stop = new AbortController()
  t.after(() => stop.abort())
  const threads = new ServiceThreads()
  t.after(() => threads.close())
  const app = await buildTestApp(t, { POOL_SIZE, MAX_RUNNING_JOBS: LIVE_JOBS, MAX_QUEUED_JOBS: 64 })
  const problems: string[] = []
  const problem = (message: string) => problems.push(message)
  const readyz = async () => { const response = await app.inject({ url: '/readyz' }); return { code: response.statusCode, body: response.json() } }
  const scrape = async () => parsePrometheusText((await app.inject({ url: '/metrics' })).body)
  const between = ([low, high]: [number, number]) => low + random() * (high - low)
  /** Runs the jobs together; each must succeed with every task done, within AFTER_BOUND_MS. */
  const run = async (specs: Spec[], what: string) => {
    const jobs = await Promise.all(specs.map(async (spec) => app.lab.scheduler.get((await submitJob(app, spec)).id)))
    await Promise.race([Promise.all(jobs.map((job) => job.ended())), bound(AFTER_BOUND_MS)])
    for (const job of jobs) {
      const { spec, status, error, report } = job
      if (status !== 'succeeded' || report?.tasks.done !== spec.tasks) problem(`${what}: ${spec.mode}/${spec.workload} ${job.id} is ${status} with ${JSON.stringify(report?.tasks)}: ${error?.message}`)
    }
  }
  const recovered = async () => {
    const { code, body } = await readyz()
    return code === 200 && body.pool.threads === POOL_SIZE && body.upstream === 'up' && body.workers.threads === 0 && body.workers.processes === 0
  }

  // A small job of every kind first: what the service starts lazily (libuv's threads, JIT) is then in the baseline.
  await run(SPECS.map(small), 'before the chaos')
  await waitFor(recovered, RECOVERY_MS, 'the service at rest before the chaos')
  const baselineThreads = osThreadCount()
  const before = await scrape()

  // The chaos: LIVE_JOBS jobs at all times, and a kill every KILL_GAP_MS.
  const started = performance.now()
  const now = () => performance.now() - started
  const tracked: Tracked[] = []
  const kills: Kill[] = []
  const submitter = async () => {
    while (now() < CHAOS_MS && !stop.signal.aborted) {
      if (tracked.filter((entry) => entry.endedMs === undefined).length < LIVE_JOBS) {
        const spec = { ...pick(SPECS), seed: Math.floor(random() * 1_000_000) }
        const entry: Tracked = { job: app.lab.scheduler.get((await submitJob(app, spec)).id), spec, submittedMs: now() }
        entry.job.ended().then(() => { entry.endedMs = now() }, () => {})
        tracked.push(entry)
      } else {
        await sleep(20)
      }
    }
  }
  const kill = (kind: KillKind): boolean => {
    const target = killOne(app, threads, kind, pick)
    if (target) kills.push({ atMs: Math.round(now()), kind, target })
    return target !== undefined
  }
  const killer = async () => {
    while (now() < CHAOS_MS && !stop.signal.aborted) {
      await sleep(between(KILL_GAP_MS))
      // A kind drawn among those that have a target now (children and job threads exist only while their jobs run).
      const available = KILL_KINDS.filter((kind) => kind === 'child' ? childPids().length > 0 : kind !== 'job thread' || threads.live('job').length > 0)
      if (available.length === 0) continue
      const kind = pick(available)
      if (!kill(kind) || random() >= BURST_CHANCE) continue
      await sleep(between(BURST_GAP_MS))
      kill(kind)
    }
  }
  await Promise.all([submitter(), killer()]).finally(() => stop.abort())
  const chaosMs = now()

  // Every job ends, within the bound.
  await Promise.race([Promise.all(tracked.map((entry) => entry.job.ended())), bound(END_BOUND_MS)])
  for (const { job, spec } of tracked) {
    if (!FINISHED.has(job.status)) problem(`${spec.mode}/${spec.workload} ${job.id} still ${job.status} ${END_BOUND_MS} ms after the chaos: ${JSON.stringify(job.progress)}`)
  }
  // Cancelled so that they end (a cancel waits for the job's end: bounded too).
  const unfinished = tracked.filter((entry) => !entry.job.isFinished)
  await Promise.race([Promise.all(unfinished.map((entry) => app.lab.scheduler.cancel(entry.job.id).catch(() => {}))), bound(3_000)])
  await sleep(150) // a main-thread task still in flight (async/net) is counted when it ends

  // Counts: the report adds up, agrees with the progress, and conclab_tasks_total moved by exactly the progress.
  const after = await scrape()
  const expected = new Map<string, number>()
  for (const { job, spec, submittedMs, endedMs } of tracked) {
    const name = `${spec.mode}/${spec.workload} ${job.id}`
    const { progress, report, status, error } = job
    for (const [outcome, count] of [['succeeded', progress.done], ['failed', progress.failed]] as const) {
      const key = JSON.stringify({ mode: spec.mode, workload: spec.workload, source: 'job', outcome })
      expected.set(key, (expected.get(key) ?? 0) + count)
    }
    if (!report) {
      problem(`${name}: ${status} without a report (${error?.code}: ${error?.message})`)
      continue
    }
    const { done, failed, notRun, total } = report.tasks
    if (total !== spec.tasks || done + failed + notRun !== total || notRun < 0) problem(`${name}: report.tasks ${JSON.stringify(report.tasks)} do not add up to ${spec.tasks}`)
    if (job.stopReason === undefined && (progress.done !== done || progress.failed !== failed)) problem(`${name}: progress ${progress.done}+${progress.failed} but report ${done}+${failed}`)
    if (status === 'succeeded' && notRun !== 0) problem(`${name}: succeeded with ${notRun} tasks not run`)
    if (status === 'failed' && error?.code !== 'JOB_WORKERS_DIED') problem(`${name}: failed with ${error?.code}: ${error?.message}`)
    if (status === 'cancelled' && job.stopReason === undefined) problem(`${name}: cancelled though nobody cancelled it: ${error?.message}`)
    // A task fails only if something it depends on was killed while the job was live.
    const relevant = dependsOn(spec)
    const causes = kills.filter((kill) => relevant.has(kill.kind) &&
      kill.atMs >= submittedMs - (kill.kind === 'upstream' ? UPSTREAM_SHADOW_MS : 0) && kill.atMs <= (endedMs ?? Infinity))
    if (failed > 0 && causes.length === 0) problem(`${name}: ${failed} tasks failed with no kill it depends on (${[...relevant].join(', ')}) while it ran: ${report.errors[0]?.message}`)
  }
  for (const [key, count] of expected) {
    const labels = JSON.parse(key) as Record<string, string>
    const moved = valueOf(after, 'conclab_tasks_total', labels) - valueOf(before, 'conclab_tasks_total', labels)
    if (moved !== count) problem(`conclab_tasks_total${key} moved by ${moved}, the jobs' progress says ${count}`)
  }

  // Recovery: the pool is refilled, the upstream is up, no job's workers are left, and jobs succeed again.
  await waitFor(recovered, RECOVERY_MS, 'recovery').catch(async () => problem(`not recovered ${RECOVERY_MS} ms after the chaos: /readyz ${JSON.stringify(await readyz())}`))
  await run(SPECS.map(small), 'after the chaos')

  // Nothing left: children, temp dirs, job threads, OS threads (the pool's and the upstream's are in the baseline).
  for (const { job, spec } of tracked) if (spec.workload === 'file' && fileDirsOf(job.id).length > 0) problem(`${job.id}: temp dirs left ${fileDirsOf(job.id).join(', ')}`)
  const leftovers = () => [
    ...childPids().map((pid) => `child pid ${pid}`),
    ...threads.live('job').map((thread) => `job thread ${thread.threadId}`),
    ...(osThreadCount() > baselineThreads + 1 ? [`${osThreadCount()} OS threads, ${baselineThreads} before the chaos`] : [])
  ]
  await waitFor(() => leftovers().length === 0, LEFTOVER_MS, 'nothing left').catch(() => { for (const leftover of leftovers()) problem(`left: ${leftover}`) })

  const byKind = KILL_KINDS.map((kind) => `${kind} ${kills.filter((kill) => kill.kind === kind).length}`).join(', ')
  const statuses = [...FINISHED].map((status) => `${status} ${tracked.filter((entry) => entry.job.status === status).length}`).join(', ')
  t.diagnostic(`chaos ${Math.round(chaosMs)} ms: ${kills.length} kills (${byKind}); ${tracked.length} jobs (${statuses}); ${threads.jobThreadsStarted} job threads seen; OS threads ${baselineThreads} → ${osThreadCount()}`)
  for (const { atMs, kind, target } of kills) t.diagnostic(`  ${atMs} ms: ${kind} ${target}`)
  for (const { job, spec } of tracked) {
    if (job.status !== 'succeeded') t.diagnostic(`  ${spec.mode}/${spec.workload} ${job.id} ${job.status}: ${job.error?.message}`)
  }
  assert.ok(kills.length >= 10, `seed ${SEED}: only ${kills.length} kills`)
  assert.deepEqual(problems, [], `seed ${SEED}: ${problems.length} problems (kills: ${JSON.stringify(kills)})`)
})

test('a pool thread killed while it starts is replaced too, and a pool job cancelled while it waits for the pool ends at once', async (t) => {
  const app = await buildTestApp(t, { POOL_SIZE })
  const { pool } = app.lab
  const newest = () => pool.piscina.threads.reduce((a, b) => a.threadId > b.threadId ? a : b)
  // A ready thread dies: piscina starts a replacement. That one dies while it loads: piscina 5.3 then replaces no
  // thread any more (it takes it for a worker file that cannot load); the service's pool refills itself.
  await pool.piscina.threads[0]!.terminate()
  assert.equal(pool.readyThreads, POOL_SIZE - 1, 'the replacement is loading')
  await newest().terminate()
  await waitFor(() => pool.readyThreads === POOL_SIZE, 10_000, 'the pool refilled after a death while loading')
  // And every later death too.
  await pool.piscina.threads[0]!.terminate()
  await waitFor(() => pool.readyThreads === POOL_SIZE, 10_000, 'the pool refilled after a later death')

  // Both threads replaced at once: a pool job waits for them (start-up); a cancel meanwhile ends it at once.
  for (const thread of pool.piscina.threads) await thread.terminate()
  const job = await submitJob(app, { workload: 'db', mode: 'pool', tasks: 20, concurrency: 2, params: { latencyMs: 1 } })
  const cancelled = await app.inject({ method: 'DELETE', url: `/jobs/${job.id}` })
  assert.equal(cancelled.json().status, 'cancelled')
  assert.ok(pool.readyThreads < POOL_SIZE, 'the cancel did not wait for the pool to be warm')
  await waitFor(async () => (await app.inject({ url: '/readyz' })).json().pool.threads === POOL_SIZE, 10_000, 'the pool refilled')
  const after = app.lab.scheduler.get((await submitJob(app, { workload: 'db', mode: 'pool', tasks: 20, concurrency: 2, params: { latencyMs: 1 } })).id)
  await after.ended()
  assert.deepEqual([after.status, after.report?.tasks.done], ['succeeded', 20])
})
