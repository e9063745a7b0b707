/**
 * Milliseconds as the labs answer them: to the microsecond (three decimals), the resolution performance.now() is worth
 * reporting and what python/lab_io.py's ms_since() gives the CPython side, so the two columns read alike.
 */
export function roundMs (ms: number): number {
  return Math.round(ms * 1000) / 1000
}
