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
export const ModeUnavailable = createError<[string, string, string]>('MODE_UNAVAILABLE', "%s: mode '%s' is unavailable here: %s", 400)
/** A spec that fails its schema where no route validated it first: the same code and message as Fastify's own. */
export const SchemaViolation = createError<[string]>('FST_ERR_VALIDATION', '%s', 400)
export const UnknownWorkload = createError<[string, string]>('UNKNOWN_WORKLOAD', "workload '%s' is not a workload; use one of: %s", 404)
export const ShuttingDown = createError('SHUTTING_DOWN', 'the service is shutting down and accepts no new jobs', 503)
export const BodyTooLarge = createError<[number]>('BODY_TOO_LARGE', 'body is larger than %d bytes (BODY_LIMIT_BYTES)', 413)
export const BodyNotJson = createError<[string]>('BODY_NOT_JSON', 'body is not valid JSON: %s', 400)
export const ForbiddenKey = createError('FORBIDDEN_KEY', 'body holds a key __proto__ (or constructor.prototype): valid JSON, but refused, since it would change the prototype of the objects it is parsed into (prototype pollution); rename that key', 400)
export const UnsupportedMediaType = createError<[string]>('UNSUPPORTED_MEDIA_TYPE', "content-type '%s' is not supported; send application/json", 415)

// Answers made before any route (issue 11): Node's HTTP parser and timers refuse the request; client-errors.ts sends these.
export const HeadersTooLarge = createError<[number]>('HEADERS_TOO_LARGE', 'the request line and headers are larger than %d bytes (MAX_HEADER_BYTES); send a shorter URL or query string, or fewer headers', 431)
export const RequestTimeout = createError<[number]>('REQUEST_TIMEOUT', 'the request (line, headers and body) was not received within %d ms (REQUEST_TIMEOUT_MS); the connection is closed', 408)
export const ChunkExtensionsTooLarge = createError('CHUNK_EXTENSIONS_TOO_LARGE', 'the chunk extensions of the chunked body are larger than Node accepts (16 KiB)', 413)
export const MissingHost = createError('MISSING_HOST', 'headers/host is required in an HTTP/1.1 request (RFC 9112); send a Host header', 400)
export const ExpectationFailed = createError<[string]>('EXPECTATION_FAILED', "headers/expect '%s' cannot be met: only 100-continue is", 417)
export const BadUrl = createError<[string]>('BAD_URL', "params: the path '%s' does not percent-decode (a % must be followed by two hex digits of valid UTF-8)", 400)
export const PathParamTooLong = createError<[string]>('PATH_PARAM_TOO_LONG', "params: a path parameter of '%s' is longer than 100 characters", 414)
export const BadHttpRequest = createError<[string, string]>('BAD_HTTP_REQUEST', 'the request is not valid HTTP/1.1: %s (%s)', 400)

/** An error a client should retry later carries how long to wait; the error handler sends it as Retry-After. */
export interface RetryLater { retryAfterSeconds: number }
export function withRetryAfter<E extends Error> (error: E, seconds: number): E & RetryLater {
  return Object.assign(error, { retryAfterSeconds: seconds })
}

// Labs (issue 4)
export const LabTimedOut = createError<[string, number, string]>('LAB_TIMED_OUT', '%s did not finish within LAB_MAX_MS (%d ms); its threads were terminated%s', 504)
export const LabStopped = createError<[string]>('LAB_STOPPED', '%s was stopped: the service is shutting down', 503)
export const CoresBusy = createError<[string, string]>('CORES_BUSY', 'the cores are busy with %s (MAX_RUNNING_JOBS measured runs at a time: jobs and lab runs, so one does not disturb the numbers of another); %s', 429)
export const UnderPressure = createError<[string, string, string]>('UNDER_PRESSURE', 'the service is under pressure: %s is %s, over its limit (%s); it takes no new work until it recovers — reads, cancels and probes still answer', 503)
export const RateLimited = createError<[number, number, string]>('RATE_LIMITED', 'more than %d such requests from this client in %d ms (%s); retry after Retry-After seconds', 429)
/** Nginx's 499: nobody receives it (the client has gone); it keeps the log from calling a disconnect a failure. */
export const ClientGone = createError('CLIENT_GONE', 'the client closed the connection before its task ran; the task was dropped', 499)
export const WorkBusy = createError<[number]>('WORK_BUSY', '%d single tasks are in flight (MAX_WORK_IN_FLIGHT: GET /work requests and timer fires); retry shortly', 503)
export const LabBusy = createError<[string]>('LAB_BUSY', "a %s run is already in progress (one at a time, so runs do not disturb each other's numbers); retry when it has answered", 429)
export const TimerNotFound = createError<[string, number]>('TIMER_NOT_FOUND', "no timer with id '%s' (finished timers are kept up to %d, MAX_TIMERS)", 404)
export const TimerAlreadyFinished = createError<[string, string]>('TIMER_ALREADY_FINISHED', "timer '%s' is already %s; only a scheduled or repeating timer can be cancelled", 409)
export const TimerLimit = createError<[number]>('TIMER_LIMIT', '%d timers are live (MAX_TIMERS); cancel one or wait for one to finish', 429)

// Event streams (issue 11): each holds a connection for the life of its job.
export const TooManyStreams = createError<[number]>('TOO_MANY_STREAMS', '%d event streams are open (MAX_SSE_STREAMS); close one, poll GET /jobs/:id, or retry later', 429)
export const TooManyJobStreams = createError<[string, number]>('TOO_MANY_STREAMS', "job '%s' has %d event streams open (MAX_SSE_STREAMS_PER_JOB); close one, poll GET /jobs/:id, or retry later", 429)

// Access (issue 11, src/plugins/auth.ts, docs/security.md): API_TOKEN, METRICS_TOKEN and READ_ONLY.
export const Unauthorized = createError<[string, string]>('UNAUTHORIZED', '%s; send the header Authorization: Bearer <token> with the token %s sets', 401)
export const ReadOnly = createError<[string, string]>('READ_ONLY', '%s %s burns CPU or changes state and the service is read-only (READ_ONLY=true); reading jobs, reports, timers, metrics and the docs still works', 403)

/**
 * How a job can end other than succeeded, as `job.error` (not HTTP errors: reading the job answers 200). Stable codes,
 * one place, like the table above.
 */
export interface JobError { code: string, message: string }
export const JobErrors = {
  cancelled: (message: string): JobError => ({ code: 'JOB_CANCELLED', message }),
  timeout: (timeoutMs: number): JobError => ({ code: 'JOB_TIMEOUT', message: `the job ran longer than timeoutMs (${timeoutMs} ms)` }),
  workersDied: (message: string): JobError => ({ code: 'JOB_WORKERS_DIED', message }),
  clusterDown: (message: string): JobError => ({ code: 'JOB_CLUSTER_DOWN', message }),
  internal: (message: string): JobError => ({ code: 'JOB_INTERNAL_ERROR', message })
}
