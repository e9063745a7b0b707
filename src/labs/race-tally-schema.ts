/**
 * The race lab's tally — what one strategy (or one record run) counted — as both answers report it: the Node run
 * (routes/lab-race.ts) and CPython's (race-cpython.ts), defined once so the two compare field for field. Only the
 * clocks differ, so each side says what its ms and startupMs measure.
 */
import { Type } from 'typebox'

export function tallyFields (clocks: { ms: string, startupMs: string }) {
  return {
    expected: Type.Integer({ description: 'workers × increments (or × updates): what the counter reads if no update is lost' }),
    actual: Type.Integer({ description: 'what the counter reads after every thread has ended' }),
    lostUpdates: Type.Integer({ description: 'expected − actual' }),
    ms: Type.Number({ description: clocks.ms }),
    startupMs: Type.Number({ description: clocks.startupMs })
  }
}
