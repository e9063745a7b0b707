/**
 * P8 cluster mode: what a second replica buys and what a slice through Redis costs. One redis-server on loopback
 * (no persistence) and three compiled service processes with POOL_SIZE 1: `solo`, alone on one queue (a cluster of
 * one), and `a` + `b` sharing another queue (a cluster of two); each process runs the whole benchmark, the
 * configuration not being measured stopped (SIGSTOP: an idle service still wakes every 10 ms).
 *
 *   P8.scale        the same CPU-bound cluster job posted to `a` (two replicas) and to `solo` (one): tasks/s ratio ÷ 2
 *   P8.scale.bare   the machine's ceiling for two replicas without the cluster: `a` and `b` each run a pool job of
 *                   half the tasks at the same time (their tasks/s summed) ÷ the whole job in mode pool on `solo`
 *   P8.one          the cluster of one ÷ the same job in mode pool on the same replica: what Redis costs one replica
 *   P8.slice.B      per-slice overhead with a fixed batch B at concurrency 1 on `solo`:
 *                   (cluster wallMs − pool wallMs) ÷ slices, ms; each slice is one pool dispatch in both modes
 *
 * Each round runs its steps back to back in alternating order (ABBA over rounds) and takes the ratio within the
 * round; the median round is kept, with its own values, and every round's ratio is listed.
 */
import type { Benchmark, Definition, Measure, PairedResult, Target } from './benchmark.js'
import { describeTarget, inAlternatingOrder, medianPair, roundRatios } from './benchmark.js'
import { startRedis, type RunningRedis } from './redis-process.js'
import { runJob, type Report } from './service-client.js'
import { startService, type RunningServer } from './service-process.js'

const TARGET: Target = { op: '>=', value: 0.9 }
const BATCHES = [1, 10, 100] as const
const READY_TIMEOUT_MS = 30_000

function settings (quick: boolean) {
  return {
    // sha256 of 1 MiB × 4 rounds ≈ 2.1 ms a task here (P3's task): CPU-bound, far longer than a dispatch.
    scaleParams: { algorithm: 'sha256', bytes: 1024 * 1024, rounds: 4 },
    scaleTasks: quick ? 60 : 1600,
    // what the warm-up runs of each step (a full job of each would add a round)
    warmupTasks: quick ? 20 : 200,
    // slices in flight across the cluster: each replica runs one (POOL_SIZE 1) with one more queued behind it
    concurrency: 4,
    // ≈ 1 ms a task: short enough that a slice of one task shows the handoff's cost
    sliceParams: { algorithm: 'sha256', bytes: 1024 * 1024, rounds: 2 },
    sliceTasks: quick ? { 1: 20, 10: 40, 100: 200 } : { 1: 300, 10: 600, 100: 2000 },
    rounds: quick ? 1 : 5
  }
}

/** Median and spread of a list of ratios, as the detail prints them. */
function spread (values: number[], digits = 3): string {
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`
}

/** Summed run time of a report's tasks: what the pool thread(s) spent hashing. */
const busyMs = (report: Report) => (report.latencyMs?.mean ?? 0) * (report.latencyMs?.count ?? 0)

async function untilRedisUp (replica: RunningServer): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS
  for (;;) {
    const body = await (await fetch(`${replica.url}/readyz`)).json() as { engines?: { cluster?: { redis?: string } } }
    if (body.engines?.cluster?.redis === 'up') return
    if (performance.now() > deadline) throw new Error(`replica at ${replica.url}: Redis not up within ${READY_TIMEOUT_MS} ms (${JSON.stringify(body.engines)})`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export const p8: Benchmark = {
  id: 'P8',
  title: 'cluster mode: two replicas vs one, per-slice overhead vs the pool',
  definitions (): Definition[] {
    const s = settings(false)
    const job = `cluster hash job (sha256 ${s.scaleParams.bytes / 1024 / 1024} MiB × ${s.scaleParams.rounds}, ${s.scaleTasks.toLocaleString('en-US')} tasks, concurrency ${s.concurrency} = slices in flight, \`batch\` auto: CLUSTER_SLICE_MS 200)`
    const rounds = `${s.rounds} rounds, steps in alternating order, the replicas not measured stopped (SIGSTOP); median round`
    return [{
      id: 'P8.scale',
      what: `${job} posted to one replica of a cluster of two (POOL_SIZE 1 each) on one Redis on loopback; tasks/s over \`wallMs\`; ${rounds}`,
      anchor: 'the same job on a cluster of one replica (POOL_SIZE 1), same Redis, same round',
      target: describeTarget(TARGET, 'two ÷ one ÷ 2')
    }, {
      id: 'P8.scale.bare',
      what: 'the two replicas without the cluster: each runs the job in mode `pool` with half the tasks, both at once; their tasks/s summed (the machine\'s ceiling for two processes)',
      anchor: 'the whole job in mode `pool` on the one replica, same round',
      target: 'reported only'
    }, {
      id: 'P8.one',
      what: 'the cluster of one replica (the runs of P8.scale\'s anchor)',
      anchor: 'the same job in mode `pool` on that replica, same round',
      target: 'reported only'
    }, {
      id: BATCHES.map((batch) => batch === BATCHES[0] ? `P8.slice.${batch}` : `.${batch}`).join(', '),
      what: `per-slice overhead in ms: (cluster \`wallMs\` − pool \`wallMs\`) ÷ slices, for a job of ${BATCHES.map((batch) => `${s.sliceTasks[batch].toLocaleString('en-US')} tasks at \`batch\` ${batch}`).join(', ')} (sha256 ${s.sliceParams.bytes / 1024 / 1024} MiB × ${s.sliceParams.rounds}, ≈ 1 ms a task), concurrency 1, on the one replica (POOL_SIZE 1); ${s.rounds} rounds, pool and cluster in alternating order; median round`,
      anchor: 'the pool job\'s `wallMs` ÷ its dispatches (a slice\'s cost without Redis), same round; ratio = overhead ÷ that',
      target: 'reported only'
    }]
  },
  async run ({ quick, log }) {
    const s = settings(quick)
    const redis: RunningRedis = await startRedis()
    const replicas: RunningServer[] = []
    try {
      const replica = async (id: string, queue: string) => {
        const started = await startService({ POOL_SIZE: '1', REDIS_URL: redis.url, REPLICA_ID: id, CLUSTER_QUEUE: queue })
        replicas.push(started)
        await untilRedisUp(started)
        return started
      }
      const solo = await replica('p8-solo', 'p8-one')
      const a = await replica('p8-a', 'p8-two')
      const b = await replica('p8-b', 'p8-two')
      /** Runs `step` with only these replicas running, the others stopped. */
      const only = async <T>(running: RunningServer[], step: () => Promise<T>): Promise<T> => {
        for (const one of replicas) if (!running.includes(one)) one.pause()
        for (const one of running) one.resume()
        await new Promise((resolve) => setTimeout(resolve, 200)) // the resumed ones catch up on their timers
        return await step()
      }
      const scaleJob = (mode: 'cluster' | 'pool', tasks = s.scaleTasks) => ({ workload: 'hash', mode, tasks, concurrency: s.concurrency, params: s.scaleParams })
      const clusterOne = (tasks = s.scaleTasks) => only([solo], async () => await runJob(solo.url, scaleJob('cluster', tasks)))
      const clusterTwo = (tasks = s.scaleTasks) => only([a, b], async () => await runJob(a.url, scaleJob('cluster', tasks)))
      const poolOne = (tasks = s.scaleTasks) => only([solo], async () => await runJob(solo.url, scaleJob('pool', tasks)))
      const poolTwo = (tasks = s.scaleTasks) => only([a, b], async () => {
        const half = Math.ceil(tasks / 2)
        const reports = await Promise.all([runJob(a.url, scaleJob('pool', half)), runJob(b.url, scaleJob('pool', tasks - half))])
        return reports.reduce((sum, report) => sum + report.tasksPerSec, 0)
      })
      // Warm-up: every replica's pool and Redis connections, every step once.
      for (const step of [clusterOne, clusterTwo, poolOne, poolTwo]) await step(s.warmupTasks)

      const scale = { one: [] as Report[], two: [] as Report[], poolOne: [] as Report[], poolTwo: [] as number[] }
      for (let round = 0; round < s.rounds; round++) {
        await inAlternatingOrder(round, [
          async () => { scale.one.push(await clusterOne()) },
          async () => { scale.two.push(await clusterTwo()) },
          async () => { scale.poolOne.push(await poolOne()) },
          async () => { scale.poolTwo.push(await poolTwo()) }
        ])
        const two = scale.two.at(-1)!
        log(`  scale round ${round + 1}: cluster of one ${scale.one.at(-1)!.tasksPerSec.toFixed(0)} tasks/s, of two ${two.tasksPerSec.toFixed(0)} (${two.byReplica?.map((row) => `${row.replica} ${row.tasks}`).join(', ')}); pool on one ${scale.poolOne.at(-1)!.tasksPerSec.toFixed(0)}, on two at once ${scale.poolTwo.at(-1)!.toFixed(0)}`)
      }

      const slice: Record<number, { pool: Report[], cluster: Report[] }> = Object.fromEntries(BATCHES.map((batch) => [batch, { pool: [], cluster: [] }]))
      const sliceJob = (mode: 'cluster' | 'pool', batch: number) => ({ workload: 'hash', mode, tasks: s.sliceTasks[batch as 1 | 10 | 100], concurrency: 1, batch, params: s.sliceParams })
      await only([solo], async () => {
        for (const batch of BATCHES) {
          await runJob(solo.url, { ...sliceJob('pool', batch), tasks: Math.max(s.warmupTasks, batch) })
          await runJob(solo.url, { ...sliceJob('cluster', batch), tasks: Math.max(s.warmupTasks, batch) })
        }
        for (let round = 0; round < s.rounds; round++) {
          for (const batch of BATCHES) {
            await inAlternatingOrder(round, [
              async () => { slice[batch]!.pool.push(await runJob(solo.url, sliceJob('pool', batch))) },
              async () => { slice[batch]!.cluster.push(await runJob(solo.url, sliceJob('cluster', batch))) }
            ])
          }
          log(`  slice round ${round + 1}: ${BATCHES.map((batch) => {
            const pool = slice[batch]!.pool.at(-1)!
            const cluster = slice[batch]!.cluster.at(-1)!
            return `batch ${batch}: pool ${pool.wallMs.toFixed(0)} ms, cluster ${cluster.wallMs.toFixed(0)} ms / ${cluster.dispatches} slices`
          }).join('; ')}`)
        }
      })
      for (const one of replicas) one.resume()

      const measures: Measure[] = []
      const perCore = (ours: number, anchor: number) => ours / anchor / 2
      const paired = (id: string, name: string, anchorName: string, result: PairedResult, target: Target | undefined, detail: Record<string, number | string>): Measure => ({
        id,
        name,
        unit: 'tasks/s',
        ours: result.ours,
        anchor: result.anchor,
        anchorName,
        ratio: result.ratio,
        ...(target ? { target } : {}),
        detail: { ...detail, roundRatios: roundRatios(result), spread: spread(result.ratios) }
      })
      const rate = (report: Report) => report.tasksPerSec
      const scaled = medianPair(scale.two.map(rate), scale.one.map(rate), perCore)
      const kept = scale.two[scaled.round]!
      measures.push(paired('P8.scale', 'two replicas (POOL_SIZE 1 each) vs one: cluster hash job tasks/s ÷ 2', 'one replica', scaled, TARGET, {
        tasks: s.scaleTasks,
        concurrency: s.concurrency,
        slices: kept.dispatches,
        tasksByReplica: kept.byReplica?.map((row) => `${row.replica} ${row.tasks}`).join(' / ') ?? '—',
        busyByReplicaMs: kept.byReplica?.map((row) => row.busyMs.toFixed(0)).join(' / ') ?? '—',
        retriedSlices: kept.retriedSlices ?? 0
      }))
      const bare = medianPair(scale.poolTwo, scale.poolOne.map(rate), perCore)
      measures.push(paired('P8.scale.bare', 'two replicas each running a pool job of half the tasks at once vs one pool job, ÷ 2 (no Redis: the ceiling)', 'pool on one replica', bare, undefined, { tasks: s.scaleTasks }))
      const one = medianPair(scale.one.map(rate), scale.poolOne.map(rate))
      measures.push(paired('P8.one', 'cluster of one replica vs the same job in mode pool on it', 'pool', one, undefined, {
        slices: scale.one[one.round]!.dispatches,
        poolDispatches: scale.poolOne[one.round]!.dispatches
      }))
      for (const batch of BATCHES) {
        const { pool, cluster } = slice[batch]!
        const slices = cluster.map((report) => report.dispatches)
        const overhead = cluster.map((report, round) => (report.wallMs - pool[round]!.wallMs) / slices[round]!)
        const poolPerSlice = pool.map((report) => report.wallMs / report.dispatches)
        const result = medianPair(overhead, poolPerSlice)
        const c = cluster[result.round]!
        const p = pool[result.round]!
        // What is left of a slice's time when its tasks' run time is taken out: the handoff, in either mode.
        const gap = (report: Report) => (report.wallMs - busyMs(report)) / report.dispatches
        measures.push({
          id: `P8.slice.${batch}`,
          name: `cluster per-slice overhead vs pool, batch ${batch} (≈ 1-ms tasks, concurrency 1): (cluster wall − pool wall) ÷ slices`,
          unit: 'ms',
          ours: result.ours,
          anchor: result.anchor,
          anchorName: 'pool wall ÷ dispatches',
          ratio: result.ratio,
          detail: {
            tasks: s.sliceTasks[batch as 1 | 10 | 100],
            slices: c.dispatches,
            clusterWallMs: c.wallMs,
            poolWallMs: p.wallMs,
            clusterGapPerSliceMs: gap(c),
            poolGapPerSliceMs: gap(p),
            clusterTaskMeanMs: c.latencyMs?.mean ?? Number.NaN,
            poolTaskMeanMs: p.latencyMs?.mean ?? Number.NaN,
            roundOverheadsMs: overhead.map((value, round) => `${value.toFixed(2)}${round === result.round ? '*' : ''}`).join(' '),
            overheadSpreadMs: spread(overhead, 2)
          }
        })
      }
      return measures
    } finally {
      await Promise.all(replicas.map(async (one) => await one.stop()))
      await redis.stop()
    }
  }
}
