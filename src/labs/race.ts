/**
 * The race condition lab: `workers` threads update one Int32 in shared memory, with each strategy in turn, in
 * fresh threads and a fresh counter per strategy; then the seed's "database record" with and without a lock.
 *
 *   main: SharedArrayBuffer [COUNTER, MUTEX, PAUSE, BREAKER] (+ a fresh GIL with gil) ──▶ N threads (lab-race-entry)
 *         ──▶ all ready, one go
 *   threads: update COUNTER ──▶ exit ──▶ main: expected vs Atomics.load(COUNTER), time first start → last end
 */
import { availableParallelism } from 'node:os'
import { roundMs } from '../measure/round-ms.js'
import { Gil } from '../sync/gil.js'
import { LabThreadGroup, withinDeadline } from './race-deadlock-threads.js'
import { raceLesson, recordMeaning } from './race-lessons.js'
import { RACE_CELLS, RaceCell, type RaceGil, type RaceStrategy, type RaceThreadResult, type RaceWorkerData } from './race-messages.js'

export interface RaceOptions {
  workers: number
  increments: number
  strategies: RaceStrategy[]
  /** the threads share an emulated GIL that switches only at CPython 3.10+'s switch points */
  gil: boolean
  /** with gil: sys.getswitchinterval() in ms */
  switchIntervalMs: number
  record?: { workers: number, updates: number, delayMs: number }
}

export interface RaceLimits {
  /** LAB_MAX_MS: the whole run (every strategy and the record) */
  maxMs: number
  signal: AbortSignal
}

interface Tally {
  expected: number
  actual: number
  lostUpdates: number
  /** first thread's start → last thread's end, measured in the threads */
  ms: number
  /** spawn → every thread ready at the gate */
  startupMs: number
  /** with the GIL: how often it changed hands from one thread to another (a thread taking it back is no switch) */
  gilSwitches?: number
}

export type StrategyResult = Tally & { strategy: RaceStrategy, opsPerSec: number, python: string, meaning: string }
export type RecordResult = Tally & { locked: boolean, meaning: string }

export interface RaceReport {
  workers: number
  increments: number
  gil: boolean
  switchIntervalMs?: number
  cores: number
  results: StrategyResult[]
  record?: { workers: number, updates: number, delayMs: number, results: RecordResult[] }
}

type ThreadData = (memory: SharedArrayBuffer, gil: RaceGil | undefined) => RaceWorkerData[]

/** One group of threads on a fresh counter (and a fresh GIL); `expected` is what the counter must read if no update is lost. */
async function runGroup (what: string, data: ThreadData, expected: number, deadline: number, options: RaceOptions, limits: RaceLimits): Promise<Tally> {
  const memory = new SharedArrayBuffer(RACE_CELLS * Int32Array.BYTES_PER_ELEMENT)
  const gil = options.gil ? { buffer: Gil.allocate(), switchIntervalMs: options.switchIntervalMs } : undefined
  const spawnedAt = performance.now()
  const group = new LabThreadGroup<RaceThreadResult>('lab-race-entry', data(memory, gil))
  let startupMs = 0
  await withinDeadline(group, { what, ms: deadline - performance.now(), maxMs: limits.maxMs, signal: limits.signal }, async () => {
    await group.ready()
    startupMs = performance.now() - spawnedAt
    group.start()
    await group.exited()
  })
  const results = group.results()
  const actual = Atomics.load(new Int32Array(memory), RaceCell.COUNTER)
  const ms = Math.max(...results.map((result) => result.endedAt)) - Math.min(...results.map((result) => result.startedAt))
  const tally: Tally = { expected, actual, lostUpdates: expected - actual, ms: roundMs(ms), startupMs: roundMs(startupMs) }
  // The turn count moves whenever the lock changes hands, its first holder's first acquisition included (from
  // nobody: no switch). A thread that takes it back after a sleep nobody used (one worker's record) moves nothing.
  if (gil) tally.gilSwitches = Math.max(Gil.turns(gil.buffer) - 1, 0)
  return tally
}

export async function runRaceLab (options: RaceOptions, limits: RaceLimits): Promise<RaceReport> {
  const deadline = performance.now() + limits.maxMs
  const { workers, increments } = options
  const results: StrategyResult[] = []
  for (const strategy of options.strategies) {
    const tally = await runGroup(`race lab strategy '${strategy}'`,
      (memory, gil) => Array.from({ length: workers }, () => ({ kind: 'counter', strategy, increments, memory, gil })),
      workers * increments, deadline, options, limits)
    results.push({ strategy, ...tally, opsPerSec: Math.round(tally.expected / (Math.max(tally.ms, 0.001) / 1000)), ...raceLesson(strategy, options.gil) })
  }
  const report: RaceReport = { workers, increments, gil: options.gil, ...(options.gil ? { switchIntervalMs: options.switchIntervalMs } : {}), cores: availableParallelism(), results }
  if (options.record) {
    const { workers: writers, updates, delayMs } = options.record
    const recordResults: RecordResult[] = []
    for (const locked of [false, true]) {
      const tally = await runGroup(`race lab record (${locked ? 'locked' : 'unlocked'})`,
        (memory, gil) => Array.from({ length: writers }, () => ({ kind: 'record', locked, updates, delayMs, memory, gil })),
        writers * updates, deadline, options, limits)
      recordResults.push({ locked, ...tally, meaning: recordMeaning(locked, options.gil) })
    }
    report.record = { workers: writers, updates, delayMs, results: recordResults }
  }
  return report
}
