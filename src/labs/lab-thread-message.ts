/**
 * What a race or deadlock lab thread posts to the main thread (kept apart from race-deadlock-threads.ts so a thread
 * loads nothing it does not use): 'ready' once it waits at the start gate, then its result.
 */
export type LabThreadMessage<Result> = { type: 'ready' } | { type: 'result', result: Result }
