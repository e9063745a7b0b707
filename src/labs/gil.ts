/**
 * The GIL lab: the lessons of CPython's global interpreter lock as numbers, from the emulated GIL (src/sync/gil.ts).
 * One set of threads runs every part step by step (a thread's start costs more than most steps), each step under a
 * lock of its own:
 *
 *   hold     N CPU-bound threads: how long one holds the lock before it must hand over (≈ the switch interval)
 *   convoy   an I/O thread's round trip alone, then beside one CPU-bound thread (+ about one interval)
 *   speedup  1 vs N threads doing the same CPU work each: no gain under the lock, N× (up to the cores) without;
 *            the fastest of SPEEDUP_REPEATS runs each
 *   release  a counter thread's pace while another thread idles, hashes with the lock released (hashlib ≥ 2 KiB),
 *            hashes holding it (C code that keeps it), and runs pure CPU work
 *
 *   main: the steps ──▶ spawn max(threads) (lab-gil-entry) ──▶ all ready, one go ──▶ exited ──▶ each part's figures
 */
import { availableParallelism } from 'node:os'
import { LatencyStats } from '../measure/latency-stats.js'
import { roundMs } from '../measure/round-ms.js'
import { Gil, type GilShared } from '../sync/gil.js'
import { GIL_LAB_CELLS, type GilLabRole, type GilLabRoleResult, type GilLabStep, type GilLabThreadData, type GilLabThreadResult, type ReleasePhase } from './gil-messages.js'
import type { GilLabOptions, GilLabReport, LatencySample, PhaseResult } from './gil-schema.js'
import { StepBarrier } from './gil-step-barrier.js'
import { LabThreadGroup, withinDeadline } from './race-deadlock-threads.js'

export interface GilLabLimits {
  /** LAB_MAX_MS: the whole Node run, every part */
  maxMs: number
  signal: AbortSignal
}

type Result<R extends GilLabRoleResult['role']> = GilLabRoleResult & { role: R }

/** Rounds of the four release phases in turn: a change in the machine's load then falls on every phase alike. */
export const RELEASE_REPEATS = 2
/** Runs of each speedup step, in turn; each figure is the fastest run (another process's load only ever adds time). */
export const SPEEDUP_REPEATS = 2

/** What a release phase stands for in Python. */
const PHASE_MEANING: Record<ReleasePhase, string> = {
  alone: 'the other thread sleeps (time.sleep releases the GIL): the counter\'s own pace',
  released: 'sha256 with the lock dropped around each call: hashlib.sha256(data) for data >= 2 KiB',
  held: 'sha256 holding the lock throughout: C code that keeps the GIL (hashlib below 2 KiB, bytes.count, sum over a range)',
  pure: 'pure CPU work under the lock, handing it over every switch interval: a pure-Python loop'
}

/** Mean, p50, p99 and max of a part's samples (ms), as every report computes them (an HDR histogram of 3 digits). */
function summary (values: readonly number[]): LatencySample {
  const stats = new LatencyStats()
  for (const value of values) stats.record(value)
  const { mean, p50, p99, max } = stats.summary() ?? { mean: 0, p50: 0, p99: 0, max: 0 }
  return { mean: roundMs(mean), p50: roundMs(p50), p99: roundMs(p99), max: roundMs(max) }
}

/** The lab's steps, each with the roles of its threads by slot and a lock of its own (none: the free-threaded run). */
class Steps {
  readonly list: GilLabStep[] = []
  readonly #threads: number
  readonly #switchIntervalMs: number

  constructor (threads: number, switchIntervalMs: number) {
    this.#threads = threads
    this.#switchIntervalMs = switchIntervalMs
  }

  /** Adds a step whose first roles.length threads play roles; returns its index. */
  add (name: string, roles: GilLabRole[], withGil = true): number {
    const step: GilLabStep = {
      roles: Array.from({ length: this.#threads }, (_, slot) => roles[slot] ?? null),
      control: new SharedArrayBuffer(GIL_LAB_CELLS * Int32Array.BYTES_PER_ELEMENT)
    }
    if (withGil) step.gil = { id: `GIL lab: ${name}`, switchIntervalMs: this.#switchIntervalMs, buffer: Gil.allocate() } satisfies GilShared
    this.list.push(step)
    return this.list.length - 1
  }
}

/**
 * Hold: each thread times its own holds, from taking the lock (back) to the tick() that handed it over (the lock's
 * turn count moved across it). Their mean and median are how long a thread keeps the lock before it must let go;
 * the median is what a hold usually lasts, which a few long ones (a waiter the OS did not schedule in time) do not
 * move. A thread's last hold, ended by its own deadline, is no hand-over and is left out.
 */
function holdOf (threads: number, spins: Array<Result<'spin'>>): GilLabReport['hold'][number] {
  const holds = spins.flatMap((result) => result.holds)
  const ms = Math.max(...spins.map((result) => result.endedAt)) - Math.min(...spins.map((result) => result.startedAt))
  const held = holds.length > 0 ? summary(holds) : null
  return { threads, ms: roundMs(ms), switches: holds.length, meanHoldMs: held?.mean ?? null, medianHoldMs: held?.p50 ?? null }
}

function releaseOf (bytes: number, phases: Array<{ phase: ReleasePhase, ms: number, counted: number, calls: number }>): GilLabReport['release'] {
  const pace = (edge: { counted: number, ms: number }) => edge.counted / Math.max(edge.ms, 1e-3)
  const alone = pace(phases.find((edge) => edge.phase === 'alone')!)
  const rows: PhaseResult[] = phases.map((edge) => ({
    phase: edge.phase,
    what: PHASE_MEANING[edge.phase],
    ms: roundMs(edge.ms),
    calls: edge.calls,
    counterIterations: edge.counted,
    counterShare: alone > 0 ? Math.round(pace(edge) / alone * 1000) / 1000 : 0
  }))
  return { bytes, repeats: RELEASE_REPEATS, phases: rows }
}

export async function runGilLab (options: GilLabOptions, limits: GilLabLimits): Promise<GilLabReport> {
  const { hold, convoy, speedup, release } = options
  const threads = Math.max(...hold.threads, speedup.threads, 2)
  const steps = new Steps(threads, options.switchIntervalMs)
  const holdSteps = hold.threads.map((n) => steps.add(`hold, ${n} threads`, Array.from({ length: n }, () => ({ role: 'spin', ms: hold.ms }))))
  const io: GilLabRole = { role: 'io', rounds: convoy.rounds, ioMs: convoy.ioMs }
  const ioAlone = steps.add('convoy, I/O alone', [io])
  const ioBeside = steps.add('convoy, I/O beside a CPU thread', [io, { role: 'spin' }])
  // Speedup: the rounds one thread does in speedup.ms (no lock: nothing else runs), then that many rounds per thread.
  steps.add('speedup, calibration', [{ role: 'spin', ms: speedup.ms, calibrates: true }], false)
  const one: number[] = []
  const all: number[] = []
  const free: number[] = []
  for (let run = 0; run < SPEEDUP_REPEATS; run++) {
    one.push(steps.add('speedup, 1 thread', [{ role: 'work' }]))
    all.push(steps.add(`speedup, ${speedup.threads} threads`, Array(speedup.threads).fill({ role: 'work' })))
    free.push(steps.add(`speedup, ${speedup.threads} threads without the GIL`, Array(speedup.threads).fill({ role: 'work' }), false))
  }
  const counter = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT)
  const hashed = steps.add('release', [{ role: 'count', counter }, { role: 'hash', counter, bytes: release.bytes, ms: release.ms, repeats: RELEASE_REPEATS }])

  const barrier = StepBarrier.allocate()
  const calibration = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
  const data: GilLabThreadData[] = Array.from({ length: threads }, (_, slot) => ({ slot, threads, steps: steps.list, barrier, calibration }))
  const group = new LabThreadGroup<GilLabThreadResult>('lab-gil-entry', data)
  await withinDeadline(group, { what: 'GIL lab', ms: limits.maxMs, maxMs: limits.maxMs, signal: limits.signal }, async () => {
    await group.ready()
    group.start()
    await group.exited()
  })
  const results = group.results()
  /** What the threads did in one step, the ones with a role, by slot. */
  const played = <R extends GilLabRoleResult['role']>(step: number) => results.map((steps) => steps[step]).filter((result) => result != null) as Array<Result<R>>
  const spanOf = (work: Array<Result<'work'>>) => Math.max(...work.map((result) => result.endedAt)) - Math.min(...work.map((result) => result.startedAt))
  const fastest = (runs: number[]) => Math.min(...runs.map((step) => spanOf(played<'work'>(step))))
  const aloneMs = summary(played<'io'>(ioAlone)[0]!.latencies)
  const besideMs = summary(played<'io'>(ioBeside).find((result) => result.role === 'io')!.latencies)
  const oneMs = fastest(one)
  const allMs = fastest(all)
  const freeMs = fastest(free)
  return {
    cores: availableParallelism(),
    switchIntervalMs: options.switchIntervalMs,
    hold: hold.threads.map((n, i) => holdOf(n, played<'spin'>(holdSteps[i]!))),
    convoy: { ioMs: convoy.ioMs, rounds: convoy.rounds, alone: aloneMs, besideCpu: besideMs, addedMs: roundMs(besideMs.p50 - aloneMs.p50) },
    speedup: {
      threads: speedup.threads,
      oneThreadMs: roundMs(oneMs),
      allThreadsMs: roundMs(allMs),
      speedup: roundMs(speedup.threads * oneMs / allMs),
      withoutGil: { allThreadsMs: roundMs(freeMs), speedup: roundMs(speedup.threads * oneMs / freeMs) }
    },
    release: releaseOf(release.bytes, played<'hash'>(hashed).find((result) => result.role === 'hash')!.phases)
  }
}
