import { Type, type Static } from 'typebox'

/**
 * The job spec's `ioProbe`: one I/O-bound thread beside the job's tasks, sharing their emulated GIL, whose rounds
 * are timed (the convoy effect as an experiment). Bounds are fixed, not config: a round is cheap whatever they are.
 */
export function ioProbeSpecSchema () {
  return Type.Object({
    intervalMs: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'pause between two rounds, without the lock (1 … 1000 ms)' }),
    ioMs: Type.Number({ minimum: 0, maximum: 100, default: 2, description: 'each round\'s I/O: a blocking wait this long with the GIL dropped (0 … 100 ms; shorter than the time a CPU-bound thread takes to wake and take the lock, a round often finds it still free)' })
  }, {
    additionalProperties: false,
    description: 'the convoy effect: while the job runs, one more thread in the service process shares the job\'s emulated GIL and does rounds of (take the lock, I/O of ioMs without it, take it back, handle the reply); the report\'s ioProbe times them. It shares only this process\'s lock: processes and cluster run their tasks under locks of their own ({} for the defaults)'
  })
}
export type IoProbeSpec = Static<ReturnType<typeof ioProbeSpecSchema>>
