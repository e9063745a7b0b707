/**
 * The Universal Scalability Law (Gunther) and its least-squares fit: pure functions, no I/O.
 *
 *   X(N) = λN / (1 + σ(N−1) + κN(N−1))
 *
 * λ is one worker's throughput, σ (contention) the share of the work that queues for something shared (Amdahl's
 * serial part: throughput levels off at λ/σ), κ (coherency) the cost of keeping every pair of workers in step
 * (it grows with N², so past N* = √((1−σ)/κ) more workers lower throughput).
 *
 * The fit minimises Σ (X_i − X(N_i))² over λ > 0, 0 ≤ σ ≤ 1, κ ≥ 0:
 *   1. For fixed σ, κ the model is λ·g(N) with g(N) = N / (1 + σ(N−1) + κN(N−1)), linear in λ, so the best λ is
 *      closed-form, λ = Σ X·g ÷ Σ g² (variable projection). Only σ and κ are searched.
 *   2. A grid over σ × κ (κ log-spaced, and 0) finds the basin: no starting guess, no local minimum to fall into.
 *   3. Nelder–Mead polishes the best grid cells. Points outside the box are clamped onto it (with a penalty that
 *      keeps the simplex near), so a minimum on a bound — κ = 0, σ = 0 — is reached exactly.
 * κ is searched as κ' = κ·Nmax(Nmax−1), the coherency term at the largest N, so the grid suits any range of N.
 */

/** One measured level: N (workers, or tasks in flight) and the throughput at it. */
export interface UslPoint {
  n: number
  throughput: number
}

export interface UslParameters {
  lambda: number
  sigma: number
  kappa: number
}

export interface UslFit extends UslParameters {
  /** distinct N among the points */
  levels: number
  /** the model's throughput at each point, in the order given */
  predicted: number[]
  /** root mean square of the residuals, in the throughput's unit */
  rmse: number
  /** rmse ÷ the mean throughput */
  relativeRmse: number
  /** 1 − SSres ÷ SStot; null when every throughput is the same (SStot = 0) */
  r2: number | null
  /** which search bounds the optimum lies on, beyond the natural ones (σ = 0, κ = 0): 'sigma=1', 'kappa=max' */
  atBounds: string[]
}

export type UslOutcome = { fitted: true, fit: UslFit } | { fitted: false, reason: string, levels: number }

/** λ, σ and κ are three unknowns: fewer distinct levels leave the curve undetermined. */
export const MIN_USL_LEVELS = 3

/** The coherency (or contention) term is "≈ 0" when it adds less than this share to the denominator at the largest N. */
export const NEGLIGIBLE_TERM = 1e-3

const SIGMA_MAX = 1
/** κ' = κ·Nmax(Nmax−1): 10⁶ means throughput at Nmax down to a millionth of linear, far past any peak. */
const KAPPA_SCALED_MAX = 1e6
const KAPPA_SCALED_MIN_GRID = 1e-4
const GRID_SIGMA_STEPS = 50
const GRID_KAPPA_PER_DECADE = 12
const STARTS = 4
const MAX_ITERATIONS = 600

export function uslThroughput ({ lambda, sigma, kappa }: UslParameters, n: number): number {
  return lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))
}

/** How far past the largest N measured a predicted peak is still reported: beyond it the fit says nothing. */
export const PEAK_HORIZON = 10

export interface UslPeak {
  /** N* = √((1−σ)/κ), at least 1; null when there is no peak within reach */
  n: number | null
  /** X(N*); null when there is no peak within reach */
  throughput: number | null
  /**
   * within the levels measured; beyond them (an extrapolation, up to PEAK_HORIZON × the largest); none: κ ≈ 0
   * (its term under NEGLIGIBLE_TERM at the largest N) or N* past the horizon, so no peak within reach
   */
  where: 'within' | 'beyond' | 'none'
  /** √((1−σ)/κ) whatever `where` says, for the reader's sentence; null when κ = 0 */
  estimate: number | null
}

/** The predicted peak; `largestN` (the largest level measured) says what "κ ≈ 0" and "beyond" mean. */
export function uslPeak (parameters: UslParameters, largestN: number): UslPeak {
  const { sigma, kappa } = parameters
  // Below 1 (σ ≈ 1 and κ > 0: every added worker only costs), the best there is is one worker.
  const estimate = kappa > 0 ? Math.max(1, Math.sqrt((1 - sigma) / kappa)) : null
  const coherency = kappa * largestN * (largestN - 1)
  const negligible = coherency < NEGLIGIBLE_TERM * (1 + sigma * (largestN - 1) + coherency)
  if (estimate === null || negligible || estimate > PEAK_HORIZON * largestN) return { n: null, throughput: null, where: 'none', estimate }
  return { n: estimate, throughput: uslThroughput(parameters, estimate), where: estimate <= largestN ? 'within' : 'beyond', estimate }
}

/** Whether σ's term is negligible at the largest N: no ceiling λ/σ within reach either. */
export function negligibleContention (sigma: number, largestN: number): boolean {
  return sigma * (largestN - 1) < NEGLIGIBLE_TERM * (1 + sigma * (largestN - 1))
}

/** Least-squares USL fit of throughput over N (≥ 3 distinct N; every N ≥ 1 and throughput > 0, finite). */
export function fitUsl (points: readonly UslPoint[]): UslOutcome {
  for (const { n, throughput } of points) {
    if (!Number.isFinite(n) || n < 1 || !Number.isFinite(throughput) || throughput <= 0) {
      throw new RangeError(`a USL point needs a finite N >= 1 and throughput > 0; got N = ${n}, throughput = ${throughput}`)
    }
  }
  const levels = new Set(points.map((point) => point.n)).size
  if (levels < MIN_USL_LEVELS) {
    return { fitted: false, levels, reason: `${levels} level${levels === 1 ? '' : 's'} of N; the fit needs at least ${MIN_USL_LEVELS} (λ, σ and κ are three unknowns)` }
  }

  // Throughput scaled to a largest value of 1 keeps every sum near 1, whatever the unit.
  const scale = Math.max(...points.map((point) => point.throughput))
  const ns = points.map((point) => point.n)
  const xs = points.map((point) => point.throughput / scale)
  const largestN = Math.max(...ns)
  const kappaUnit = 1 / (largestN * (largestN - 1))
  const gs = new Float64Array(ns.length)

  /** For fixed σ and κ': the closed-form λ and the residual sum of squares. */
  const profile = (sigma: number, kappaScaled: number) => {
    const kappa = kappaScaled * kappaUnit
    let xg = 0
    let gg = 0
    for (let i = 0; i < ns.length; i++) {
      const n = ns[i]!
      const g = n / (1 + sigma * (n - 1) + kappa * n * (n - 1))
      gs[i] = g
      xg += xs[i]! * g
      gg += g * g
    }
    const lambda = xg / gg
    // Summed residual by residual: Σx² − (Σxg)²/Σg² would cancel to noise near a perfect fit.
    let sse = 0
    for (let i = 0; i < ns.length; i++) sse += (xs[i]! - lambda * gs[i]!) ** 2
    return { lambda, sse }
  }
  const clamp = ([sigma, kappaScaled]: Vector): Vector =>
    [Math.min(SIGMA_MAX, Math.max(0, sigma)), Math.min(KAPPA_SCALED_MAX, Math.max(0, kappaScaled))]
  // Outside the box: the value on its edge plus the squared distance, so the simplex comes back.
  const objective = (point: Vector) => {
    const inside = clamp(point)
    const outside = (point[0] - inside[0]) ** 2 + (point[1] - inside[1]) ** 2
    return profile(inside[0], inside[1]).sse + outside
  }

  // 2. The grid: σ linear, κ' zero and log-spaced.
  const kappaGrid = [0]
  const decades = Math.log10(KAPPA_SCALED_MAX / KAPPA_SCALED_MIN_GRID)
  for (let i = 0; i <= decades * GRID_KAPPA_PER_DECADE; i++) kappaGrid.push(KAPPA_SCALED_MIN_GRID * 10 ** (i / GRID_KAPPA_PER_DECADE))
  const cells: Array<{ at: Vector, sse: number }> = []
  for (let i = 0; i <= GRID_SIGMA_STEPS; i++) {
    const sigma = SIGMA_MAX * i / GRID_SIGMA_STEPS
    for (const kappaScaled of kappaGrid) cells.push({ at: [sigma, kappaScaled], sse: profile(sigma, kappaScaled).sse })
  }
  cells.sort((a, b) => a.sse - b.sse)
  // The best cells, and the best on each natural bound (a minimum there is often just off the grid's best).
  const starts = [...cells.slice(0, STARTS), cells.find((cell) => cell.at[1] === 0)!, cells.find((cell) => cell.at[0] === 0)!]

  // 3. Polish each start; keep the best.
  let best: Vector = starts[0]!.at
  let bestSse = Infinity
  for (const start of starts) {
    const steps: Vector = [SIGMA_MAX / GRID_SIGMA_STEPS, Math.max(start.at[1] * 0.3, KAPPA_SCALED_MIN_GRID * 10)]
    const found = clamp(nelderMead(objective, start.at, steps))
    const { sse } = profile(found[0], found[1])
    if (sse < bestSse) {
      best = found
      bestSse = sse
    }
  }

  const [sigma, kappaScaled] = best
  const { lambda: lambdaScaled } = profile(sigma, kappaScaled)
  const parameters = { lambda: lambdaScaled * scale, sigma, kappa: kappaScaled * kappaUnit }
  const predicted = ns.map((n) => uslThroughput(parameters, n))
  const observed = points.map((point) => point.throughput)
  const mean = observed.reduce((sum, x) => sum + x, 0) / observed.length
  const ssRes = observed.reduce((sum, x, i) => sum + (x - predicted[i]!) ** 2, 0)
  const ssTot = observed.reduce((sum, x) => sum + (x - mean) ** 2, 0)
  const rmse = Math.sqrt(ssRes / observed.length)
  const atBounds = [...(sigma >= SIGMA_MAX ? ['sigma=1'] : []), ...(kappaScaled >= KAPPA_SCALED_MAX ? ['kappa=max'] : [])]
  return {
    fitted: true,
    fit: { ...parameters, levels, predicted, rmse, relativeRmse: rmse / mean, r2: ssTot > 0 ? 1 - ssRes / ssTot : null, atBounds }
  }
}

type Vector = [number, number]

/**
 * Nelder–Mead on two variables (reflection 1, expansion 2, contraction ½, shrink ½), from `start` with a simplex
 * of the given steps; stops when the simplex has shrunk to 1e-10 of them, or after MAX_ITERATIONS.
 */
export function nelderMead (f: (point: Vector) => number, start: Vector, steps: Vector): Vector {
  let simplex: Array<{ at: Vector, value: number }> = [
    start,
    [start[0] + steps[0], start[1]] as Vector,
    [start[0], start[1] + steps[1]] as Vector
  ].map((at) => ({ at, value: f(at) }))
  const move = (from: Vector, towards: Vector, by: number): Vector =>
    [from[0] + by * (towards[0] - from[0]), from[1] + by * (towards[1] - from[1])]
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    simplex.sort((a, b) => a.value - b.value)
    const [lowest, middle, highest] = simplex as [typeof simplex[0], typeof simplex[0], typeof simplex[0]]
    // The simplex's size in units of the first steps: small enough to leave no digit worth reporting.
    const size = Math.max(...simplex.map(({ at }) => Math.max(Math.abs(at[0] - lowest.at[0]) / steps[0], Math.abs(at[1] - lowest.at[1]) / steps[1])))
    if (size < 1e-10) break
    const centroid: Vector = [(lowest.at[0] + middle.at[0]) / 2, (lowest.at[1] + middle.at[1]) / 2]
    const reflected = move(centroid, highest.at, -1)
    const reflectedValue = f(reflected)
    if (reflectedValue < lowest.value) {
      const expanded = move(centroid, highest.at, -2)
      const expandedValue = f(expanded)
      simplex[2] = expandedValue < reflectedValue ? { at: expanded, value: expandedValue } : { at: reflected, value: reflectedValue }
    } else if (reflectedValue < middle.value) {
      simplex[2] = { at: reflected, value: reflectedValue }
    } else {
      const outside = reflectedValue < highest.value
      const contracted = outside ? move(centroid, reflected, 0.5) : move(centroid, highest.at, 0.5)
      const contractedValue = f(contracted)
      if (contractedValue < Math.min(reflectedValue, highest.value)) {
        simplex[2] = { at: contracted, value: contractedValue }
      } else {
        simplex = simplex.map(({ at }, i) => {
          if (i === 0) return { at, value: simplex[0]!.value }
          const shrunk = move(lowest.at, at, 0.5)
          return { at: shrunk, value: f(shrunk) }
        })
      }
    }
  }
  simplex.sort((a, b) => a.value - b.value)
  return simplex[0]!.at
}
