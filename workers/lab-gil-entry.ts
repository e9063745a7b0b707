/**
 * A thread of the GIL lab: waits at the start gate, then runs every step of the lab with the other threads, each
 * step under that step's emulated GIL (or none), in the role the step gives it (or none).
 *
 *   main: spawn ──▶ thread: 'ready', sleeps on the gate ──▶ main: gate opens (all threads at once)
 *   for each step: the step barrier (every thread done with the step before), then its role:
 *     spin:  pure-Python CPU work for ms, or until STOP          (hold; the convoy's CPU thread; calibration)
 *     work:  the calibrated number of rounds of it               (speedup)
 *     io:    rounds of: hold the lock, I/O of ioMs without it, hold it again; then STOP (convoy)
 *     count: counts under the lock until STOP, publishing the count every 1024 iterations (release)
 *     hash:  the release phases — idle, sha256 with the lock released, sha256 holding it, pure CPU work — reading
 *            the counter at each edge; then STOP
 *   thread ──▶ 'result' (one entry per step) ──▶ returns and exits (joined by main)
 */
import { createHash } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'
import { spinFor, spinRounds } from '../src/labs/gil-cpu-loop.js'
import { GilLabCell, type GilLabRole, type GilLabRoleResult, type GilLabStep, type GilLabThreadData, type GilLabThreadResult, type PhaseEdge } from '../src/labs/gil-messages.js'
import { StepBarrier } from '../src/labs/gil-step-barrier.js'
import type { LabThreadMessage } from '../src/labs/lab-thread-message.js'
import { StartGate } from '../src/sync/start-gate.js'
import { Gil, noGil, type GilLike } from '../src/sync/gil.js'

const data = workerData as GilLabThreadData & { gate: SharedArrayBuffer }
const barrier = new StepBarrier(data.barrier, data.threads)
const calibration = new Int32Array(data.calibration)
// The step being run: its lock and control cells.
let gil: GilLike = noGil
let step: GilLabStep = data.steps[0]!
let control = new Int32Array(step.control)
const stopped = () => Atomics.load(control, GilLabCell.STOP) === 1
const stopOthers = () => {
  Atomics.store(control, GilLabCell.STOP, 1)
  Atomics.notify(control, GilLabCell.STOP)
}
const sleep = (ms: number) => Atomics.wait(control, GilLabCell.PAUSE, 0, ms)
const epochNow = () => performance.timeOrigin + performance.now()
const send = (message: LabThreadMessage<GilLabThreadResult>) => parentPort!.postMessage(message)

/** The convoy's I/O thread, as a Python thread would run `t0 = perf_counter(); sock.recv(); t1 = perf_counter()`. */
function ioRounds (rounds: number, ioMs: number): number[] {
  const latencies: number[] = []
  gil.acquire()
  for (let i = 0; i < rounds; i++) {
    const started = performance.now()
    gil.blocking(() => sleep(ioMs)) // the lock dropped around the wait, as CPython drops it around recv()
    latencies.push(performance.now() - started)
    gil.tick()
  }
  gil.release()
  return latencies
}

/** The release part's counter: as fast as it can, under the lock; the count published where the hasher reads it. */
function count (counter: BigInt64Array): number {
  let iterations = 0
  gil.acquire()
  while (!stopped()) {
    iterations++
    if ((iterations & 1023) === 0) Atomics.store(counter, 0, BigInt(iterations))
    gil.tick()
  }
  gil.release()
  Atomics.store(counter, 0, BigInt(iterations))
  return iterations
}

/**
 * The release part's phases, each about `ms`, `repeats` rounds of the four in turn (so a change in the machine's
 * load falls on every phase alike), with the counter's iterations at each edge: idle (what the counter does alone),
 * sha256 with the lock released around each call (hashlib for inputs >= 2 KiB), sha256 holding the lock (C code
 * that keeps it), and pure CPU work that hands the lock over every switch interval. A phase that needs the lock is
 * timed from holding it, as a Python thread can read the clock and the counter only while it holds the GIL.
 */
function hashPhases (counter: BigInt64Array, bytes: number, ms: number, repeats: number): PhaseEdge[] {
  const input = new Uint8Array(bytes).fill(7)
  const digest = () => createHash('sha256').update(input).digest()
  const read = () => Number(Atomics.load(counter, 0))
  const totals = new Map<PhaseEdge['phase'], PhaseEdge>()
  const timed = (phase: PhaseEdge['phase'], locked: boolean, body: (until: number) => number) => {
    if (locked) gil.acquire()
    const before = read()
    const started = performance.now()
    const calls = body(started + ms)
    const counted = read() - before
    const took = performance.now() - started
    if (locked) gil.release()
    const total = totals.get(phase) ?? { phase, ms: 0, counted: 0, calls: 0 }
    totals.set(phase, { phase, ms: total.ms + took, counted: total.counted + counted, calls: total.calls + calls })
  }
  for (let repeat = 0; repeat < repeats; repeat++) {
    timed('alone', false, () => { sleep(ms); return 0 })
    timed('released', true, (until) => {
      let calls = 0
      do {
        gil.blocking(digest)
        calls++
      } while (performance.now() < until)
      return calls
    })
    timed('held', true, (until) => {
      let calls = 0
      do {
        digest() // no tick() in between: C code that keeps the lock never looks at the drop request
        calls++
      } while (performance.now() < until)
      return calls
    })
    timed('pure', true, () => { spinFor(gil, ms); return 0 })
  }
  return [...totals.values()]
}

function play (role: GilLabRole): GilLabRoleResult {
  switch (role.role) {
    case 'spin': {
      const buffer = step.gil?.buffer
      const log = buffer ? { turns: () => Gil.turns(buffer), holds: [] } : undefined
      gil.acquire()
      const startedAt = epochNow()
      const spins = spinFor(gil, role.ms ?? Infinity, stopped, log)
      const endedAt = epochNow()
      gil.release()
      if (role.calibrates) Atomics.store(calibration, 0, spins)
      return { role: 'spin', spins, startedAt, endedAt, holds: log?.holds ?? [] }
    }
    case 'work': {
      const startedAt = epochNow()
      spinRounds(gil, Atomics.load(calibration, 0))
      return { role: 'work', startedAt, endedAt: epochNow() }
    }
    case 'io': {
      const latencies = ioRounds(role.rounds, role.ioMs)
      stopOthers()
      return { role: 'io', latencies }
    }
    case 'count': return { role: 'count', iterations: count(new BigInt64Array(role.counter)) }
    case 'hash': {
      const phases = hashPhases(new BigInt64Array(role.counter), role.bytes, role.ms, role.repeats)
      stopOthers()
      return { role: 'hash', phases }
    }
  }
}

send({ type: 'ready' })
new StartGate(data.gate).pass()
const results: GilLabThreadResult = []
for (const next of data.steps) {
  barrier.arrive()
  step = next
  control = new Int32Array(step.control)
  gil = step.gil ? new Gil(step.gil) : noGil
  const role = step.roles[data.slot]
  results.push(role ? play(role) : null)
}
send({ type: 'result', result: results })
