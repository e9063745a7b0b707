import { Type } from 'typebox'

/**
 * A string enum as a plain JSON-schema `enum` (not an anyOf of literals), so a wrong value gets one error that
 * lists the allowed values instead of one error per literal.
 */
export function StringEnum<const T extends readonly string[]> (values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/** The switch intervals a job or a lab accepts by default, in ms: CPython takes any positive number of seconds. */
export const SWITCH_INTERVAL_BOUNDS = { minimum: 0.1, maximum: 1000 } as const

/**
 * A body's `switchIntervalMs`: the emulated GIL's switch interval, CPython's sys.setswitchinterval() in ms (default
 * 5, as sys.getswitchinterval()). One definition for every body that has one; `what` says what it does there, and
 * a use whose run must fit a time budget passes tighter bounds (and says why). The range is in the description, as
 * a 400 names it.
 */
export function switchIntervalSchema (what: string, bounds: { minimum: number, maximum: number } = SWITCH_INTERVAL_BOUNDS) {
  return Type.Number({
    ...bounds,
    default: 5,
    description: `${what} (${bounds.minimum} … ${bounds.maximum} ms; CPython: sys.setswitchinterval(), default sys.getswitchinterval() = 5 ms)`
  })
}
