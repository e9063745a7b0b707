/**
 * Histogram buckets for Prometheus. histogram_quantile() interpolates linearly inside a bucket, so where a bucket's
 * upper bound is r times its lower one, a quantile q of tasks that all took the same time reads up to q·(r − 1) off:
 * the old 1–2.5–5 ladder put a 50.2 ms task in (50 ms, 100 ms] and read its p50 as ≈ 75 ms. A ratio of 1.1 keeps
 * p50, p90 and p99 within 10 % of the exact value even then (spread-out latencies do better); the ladder starts at
 * 10 µs so that 100 µs already lies well inside it (the first bucket interpolates from 0). 165 buckets: a
 * prom-client observe finds its bucket in well under a microsecond.
 */

/** `start`, start·ratio, start·ratio², … up to the first bound ≥ `end`, rounded to 4 significant digits. */
export function geometricBuckets (start: number, ratio: number, end: number): number[] {
  const buckets: number[] = []
  for (let bound = start; ; bound *= ratio) {
    buckets.push(Number(bound.toPrecision(4)))
    if (bound >= end) return buckets
  }
}

/** Task run and queue times: 10 µs hashes to minute-long queries, within 10 % from 100 µs to 60 s. */
export const TASK_BUCKETS = geometricBuckets(0.00001, 1.1, 60)
