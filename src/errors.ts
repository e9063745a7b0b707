import createError from '@fastify/error'

/**
 * Every error a user can cause, with a stable code, its status and a message naming the field or the limit.
 * (Schema violations keep Fastify's stable FST_ERR_VALIDATION code; their messages are made in
 * validation-message.ts.)
 */
export const JobNotFound = createError<[string]>('JOB_NOT_FOUND', "no job with id '%s' (finished jobs are kept up to MAX_STORED_JOBS)", 404)
export const JobAlreadyFinished = createError<[string, string]>('JOB_ALREADY_FINISHED', "job '%s' has already %s; only queued or running jobs can be cancelled", 409)
export const JobQueueFull = createError<[number]>('JOB_QUEUE_FULL', 'the job queue is full (%d jobs waiting, MAX_QUEUED_JOBS); retry later', 429)
export const InvalidField = createError<[string]>('INVALID_FIELD', '%s', 400)
export const UnknownWorkload = createError<[string, string]>('UNKNOWN_WORKLOAD', "workload '%s' is not a workload; use one of: %s", 404)
export const ShuttingDown = createError('SHUTTING_DOWN', 'the service is shutting down and accepts no new jobs', 503)
export const BodyTooLarge = createError<[number]>('BODY_TOO_LARGE', 'body is larger than %d bytes (BODY_LIMIT_BYTES)', 413)
export const BodyNotJson = createError<[string]>('BODY_NOT_JSON', 'body is not valid JSON: %s', 400)
export const UnsupportedMediaType = createError<[string]>('UNSUPPORTED_MEDIA_TYPE', "content-type '%s' is not supported; send application/json", 415)
