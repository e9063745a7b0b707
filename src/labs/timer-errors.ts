import createError from '@fastify/error'

/** The timers lab's errors, each with a stable code (the rest come from src/errors.ts). */
export const TimerNotFound = createError<[string, number]>('TIMER_NOT_FOUND', "no timer with id '%s' (finished timers are kept up to %d, MAX_TIMERS)", 404)
export const TimerAlreadyFinished = createError<[string, string]>('TIMER_ALREADY_FINISHED', "timer '%s' is already %s; only a scheduled or repeating timer can be cancelled", 409)
export const TimerLimit = createError<[number]>('TIMER_LIMIT', '%d timers are live (MAX_TIMERS); cancel one or wait for one to finish', 429)
