/** What every benchmark returns, how the runner judges it, and the pairing every paired benchmark uses. */

/** `ratio >= value` (a speed to reach) or `ratio <= value` (a cost to stay under); absent = reported only. */
export interface Target {
  op: '>=' | '<='
  value: number
}

export interface Measure {
  /** stable id, e.g. `P2.batch` */
  id: string
  /** what was measured, in words */
  name: string
  unit: string
  ours: number
  /** the reference measured in the same run (null where the measure has no anchor) */
  anchor: number | null
  anchorName?: string
  /** ours ÷ anchor, or the benchmark's own ratio (speedup ÷ cores, growth ÷ RSS…); from the same round as ours and anchor */
  ratio: number | null
  target?: Target
  /** extra numbers and context, printed in the Markdown and kept in the JSON */
  detail?: Record<string, number | string>
}

/** One row of BENCHMARKS.md's table of what each benchmark measures, written from the constants its run uses. */
export interface Definition {
  id: string
  what: string
  anchor: string
  target: string
}

export interface BenchContext {
  /** brief runs: prove that the suite works, not how fast the service is */
  quick: boolean
  cores: number
  log: (line: string) => void
}

export interface Benchmark {
  id: string
  title: string
  /** what a full run measures, from the same settings its run uses (BENCHMARKS.md shows these) */
  definitions: () => Definition[]
  run: (context: BenchContext) => Promise<Measure[]>
}

export function passes (measure: Measure): boolean | null {
  if (!measure.target || measure.ratio === null) return null
  return measure.target.op === '>=' ? measure.ratio >= measure.target.value : measure.ratio <= measure.target.value
}

export function describeTarget (target: Target | undefined, subject = 'ratio'): string {
  return target ? `${subject} ${target.op === '>=' ? '≥' : '≤'} ${target.value}` : 'reported only'
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * Runs one round's steps in order on even rounds and in reverse order on odd ones: A B, then B A (ABBA over two
 * rounds), so that a machine speeding up or slowing down within a round does not always favour the same side.
 */
export async function inAlternatingOrder (round: number, steps: Array<() => Promise<unknown>>): Promise<void> {
  const order = round % 2 === 0 ? steps : [...steps].reverse()
  for (const step of order) await step()
}

export interface PairedResult {
  /** ours, anchor and ratio all come from this one round */
  ours: number
  anchor: number
  ratio: number
  /** the round it came from (0-based) */
  round: number
  /** every round's ratio, in round order */
  ratios: number[]
}

/**
 * The median round of paired measurements: the round whose ratio is the median of every round's ratio (the lower of
 * the two middle ones for an even count), reported with that round's own ours and anchor, so the three printed
 * numbers always agree (ratio = ratioOf(ours, anchor)). Each ratio is taken within one round, so drift between
 * rounds cancels; a round's ours and anchor ran back to back, in alternating order.
 */
export function medianPair (ours: number[], anchor: number[], ratioOf: (ours: number, anchor: number) => number = (a, b) => a / b): PairedResult {
  if (ours.length === 0 || ours.length !== anchor.length) throw new Error(`medianPair: ${ours.length} ours vs ${anchor.length} anchor values`)
  const ratios = ours.map((value, round) => ratioOf(value, anchor[round]!))
  const byRatio = ratios.map((ratio, round) => ({ ratio, round })).sort((a, b) => a.ratio - b.ratio)
  const { round } = byRatio[Math.floor((byRatio.length - 1) / 2)]!
  return { ours: ours[round]!, anchor: anchor[round]!, ratio: ratios[round]!, round, ratios }
}

/** The detail entry that lists every round's ratio, with the one kept marked. */
export function roundRatios (result: PairedResult, digits = 3): string {
  return result.ratios.map((ratio, round) => `${ratio.toFixed(digits)}${round === result.round ? '*' : ''}`).join(' ')
}
