/** What every benchmark returns, and how the runner judges it. */

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
  /** ours ÷ anchor, or the benchmark's own ratio (speedup ÷ cores, RSS ratio…) */
  ratio: number | null
  target?: Target
  /** extra numbers and context, printed in the Markdown and kept in the JSON */
  detail?: Record<string, number | string>
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
  run: (context: BenchContext) => Promise<Measure[]>
}

export function passes (measure: Measure): boolean | null {
  if (!measure.target || measure.ratio === null) return null
  return measure.target.op === '>=' ? measure.ratio >= measure.target.value : measure.ratio <= measure.target.value
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The median of ours[i] ÷ anchor[i]: each ratio taken within one round, so drift between rounds cancels. */
export function pairedRatio (ours: number[], anchor: number[]): number {
  return median(ours.map((value, index) => value / anchor[index]!))
}
