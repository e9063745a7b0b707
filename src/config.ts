import { availableParallelism } from 'node:os'
import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'
import { StringEnum } from './schema-helpers.js'
import { describeSchemaErrors, type SchemaError } from './validation-message.js'

const MiB = 1024 * 1024
const cores = availableParallelism()

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type LogLevel = typeof LOG_LEVELS[number]
const LEVEL_RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }

/** A bearer token: RFC 6750's token characters (it goes into a header as it is), long enough not to be guessed. */
const TOKEN_PATTERN = '^[A-Za-z0-9._~+/-]{16,}=*$'

/** An integer limit read from the environment, with its documented default and allowed range. */
function limit (defaultValue: number, minimum: number, maximum: number, description: string) {
  return Type.Integer({ default: defaultValue, minimum, maximum, description })
}

/**
 * Every knob of the service. The README's table of limits is this schema; `GET /` shows the live values.
 * A bad value stops the service at start-up with a message naming the variable.
 */
export const ConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', description: 'address to bind' }),
  PORT: limit(3000, 0, 65535, 'port to bind (0 = any free port)'),
  // Access (docs/security.md). The tokens are never logged and never shown by GET / (only numbers are).
  API_TOKEN: Type.Optional(Type.String({
    pattern: TOKEN_PATTERN,
    description: 'every route but /healthz, /readyz and /docs needs Authorization: Bearer <this token> (else 401 UNAUTHORIZED); at least 16 characters of A-Z a-z 0-9 . _ ~ + / - (openssl rand -hex 32); unset: no token needed'
  })),
  METRICS_TOKEN: Type.Optional(Type.String({
    pattern: TOKEN_PATTERN,
    description: 'a token GET /metrics accepts as well as API_TOKEN, for a Prometheus scrape (it opens nothing else); set alone, it closes /metrics only'
  })),
  READ_ONLY: StringEnum(['true', 'false'], {
    default: 'false',
    description: 'true: 403 READ_ONLY for every route that burns CPU or changes state (every POST and DELETE, GET /work/<workload> and /sim/delay); reading jobs, reports, timers, metrics and the docs stays open'
  }),
  LOG_LEVEL: StringEnum(LOG_LEVELS,
    { default: 'info', description: 'pino log level' }),
  PROBE_LOG_LEVEL: StringEnum(LOG_LEVELS,
    { default: 'warn', description: 'log level of /healthz, /readyz and /metrics requests: probes and scrapes every few seconds would flood the log at info (never more verbose than LOG_LEVEL)' }),
  LOG_PRETTY: StringEnum(['auto', 'true', 'false'],
    { default: 'auto', description: 'pretty logs; auto = only when stdout is a terminal' }),
  POOL_SIZE: limit(cores, 1, 256, 'threads of the warm piscina pool (default: available parallelism)'),
  POOL_TASKS_PER_THREAD: limit(1, 1, 1000, 'tasks one pool thread runs at once (piscina concurrentTasksPerWorker)'),
  MAX_TASKS: limit(1_000_000, 1, 100_000_000, 'tasks per job'),
  MAX_CONCURRENCY: limit(10_000, 1, 1_000_000, 'in-flight tasks of an async or pool job'),
  MAX_THREADS: limit(64, 1, 1024, 'threads of a threads job'),
  MAX_PROCESSES: limit(32, 1, 512, 'child processes of a processes job'),
  MAX_BATCH: limit(10_000, 1, 1_000_000, 'tasks per dispatch (batch)'),
  MAX_RATE: limit(100_000, 1, 10_000_000, 'open loop: largest rate of a job, tasks per second'),
  MAX_WARMUP_MS: limit(60_000, 1, 3_600_000, 'largest warmup.ms of a job (the warm-up runs inside timeoutMs)'),
  MAX_SERIES_ROWS: limit(600, 2, 100_000, 'rows of a report\'s series at most; a longer job merges neighbouring rows (the interval doubles)'),
  AUTO_BATCH_MS: limit(50, 1, 60_000, 'batch auto (the default): run time one pool or processes dispatch carries, so the round trip through the main thread stays a small share'),
  MAX_HASH_BYTES: limit(16 * MiB, 1, 1024 * MiB, 'hash: bytes hashed per round'),
  MAX_HASH_ROUNDS: limit(100_000, 1, 100_000_000, 'hash: chained rounds per task'),
  MAX_HASH_TASK_BYTES: limit(4 * 1024 * MiB, 1, 2 ** 50, 'hash: bytes × rounds of one task (4 GiB ≈ 2 s of sha256 on one core), so no single task can hold a thread for minutes'),
  MAIN_THREAD_WORK_MAX_BYTES: limit(8 * MiB, 1, 2 ** 50, 'hash: bytes × rounds of a GET /work/hash task in a main-thread mode (inline, async): it holds the event loop, and every other request, while it runs (8 MiB ≈ 15 ms for the slowest algorithm)'),
  MAX_LATENCY_MS: limit(60_000, 10, 3_600_000, 'db and net: simulated latency per task; a log-normal sample is capped here too'),
  MAX_DB_CONNECTIONS: limit(10_000, 1, 1_000_000, 'db: size of the simulated connection pool'),
  MAX_FILE_BYTES: limit(64 * MiB, 1, 1024 * MiB, 'file: bytes written per task'),
  MAX_FILE_INFLIGHT_BYTES: limit(1024 * MiB, 1, 2 ** 40, 'file: bytes × concurrency, the memory tasks in flight may hold'),
  DEFAULT_JOB_TIMEOUT_MS: limit(300_000, 1, 86_400_000, 'timeoutMs of a job that does not set one'),
  MAX_JOB_TIMEOUT_MS: limit(3_600_000, 1, 86_400_000, 'largest timeoutMs a job may ask for'),
  MAX_START_DELAY_MS: limit(60_000, 0, 86_400_000, 'largest startDelayMs of a job'),
  MAX_RUNNING_JOBS: limit(1, 1, 64, 'measured runs at the same time: jobs and lab runs (race, deadlock, producer/consumer) share these slots (1 keeps measurements apart); a lab run while none is free answers 429 CORES_BUSY'),
  MAX_QUEUED_JOBS: limit(32, 0, 100_000, 'jobs waiting to run; beyond it POST /jobs answers 429'),
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: limit(5000, 0, 3_600_000, 'while the event loop\'s mean delay over a sample is above this, requests that add load answer 503 UNDER_PRESSURE (0: not checked); a sample with no reading at all (the loop was blocked throughout: the service starting, an inline task of seconds) does not count'),
  PRESSURE_MAX_HEAP_PERCENT: limit(90, 0, 100, 'while the heap in use is above this share of V8\'s heap limit, requests that add load answer 503 UNDER_PRESSURE (0: not checked)'),
  PRESSURE_MAX_RSS_BYTES: limit(0, 0, 2 ** 50, 'while the resident memory (threads included) is above this, requests that add load answer 503 UNDER_PRESSURE (0: not checked; compose sets it below its memory limit)'),
  PRESSURE_SAMPLE_INTERVAL_MS: limit(1000, 100, 60_000, 'how often the pressure figures are sampled (at least 100: a shorter sample may hold no event-loop reading at all)'),
  PRESSURE_RETRY_AFTER_S: limit(5, 1, 3600, 'Retry-After of a 503 UNDER_PRESSURE'),
  RATE_LIMIT_MAX: limit(600, 0, 1_000_000, 'requests that start work or change state (POST /jobs, labs, compare, timers; not cancels, reads or probes) per client address per RATE_LIMIT_WINDOW_MS; beyond it 429 RATE_LIMITED (0: unlimited)'),
  RATE_LIMIT_WORK_MAX: limit(0, 0, 1_000_000_000, 'GET /work and /sim requests per client address per RATE_LIMIT_WINDOW_MS (0, the default: unlimited, they are what a load test aims at; MAX_WORK_IN_FLIGHT bounds them)'),
  RATE_LIMIT_WINDOW_MS: limit(60_000, 1000, 86_400_000, 'the window of RATE_LIMIT_MAX and RATE_LIMIT_WORK_MAX'),
  WORKER_MAX_HEAP_MB: limit(1024, 16, 65_536, 'largest V8 heap (old generation) of a job\'s thread, a pool thread or a child process (resourceLimits, --max-old-space-size): one that passes it ends as a worker death, not the service\'s'),
  MAX_JOB_MEMORY_BYTES: limit(2 * 1024 * MiB, MiB, 2 ** 50, 'memory one job may hold, estimated at submit: its data (hash and file bytes: one shared copy, plus one per child process; file reads back bytes per task in flight) plus the workers it starts (threads 12 MiB, processes 64 MiB each); beyond it 400'),
  MAX_WORK_IN_FLIGHT: limit(256, 1, 1_000_000, 'single tasks in flight at once: GET /work requests and timer fires; beyond it GET /work answers 503 WORK_BUSY with Retry-After (a timer fire fails with that message)'),
  MAX_STORED_JOBS: limit(200, 1, 100_000, 'finished jobs kept for GET /jobs'),
  MAX_JOB_ERRORS: limit(20, 0, 10_000, 'task errors kept in a report (the count is always exact)'),
  BODY_LIMIT_BYTES: limit(65_536, 1024, 16 * MiB, 'largest request body'),
  MAX_HEADER_BYTES: limit(16_384, 1024, MiB, 'largest request line + headers (Node\'s maxHeaderSize); beyond it 431 HEADERS_TOO_LARGE'),
  REQUEST_TIMEOUT_MS: limit(30_000, 100, 3_600_000, 'longest time to receive a whole request (line, headers and body); beyond it 408 REQUEST_TIMEOUT and the connection closes. The answer is not timed: ?wait=true and event streams last as long as their job'),
  CONNECTION_TIMEOUT_MS: limit(60_000, 100, 3_600_000, 'a connection with no traffic this long is closed (silent since it connected, or its client stopped reading), except while the service is still working out the answer (?wait=true); event streams send a comment at least twice as often'),
  KEEP_ALIVE_TIMEOUT_MS: limit(72_000, 100, 3_600_000, 'an idle keep-alive connection is closed after this long (Fastify\'s default: longer than the 60 s of common load balancers)'),
  MAX_CONNECTIONS: limit(1024, 1, 1_000_000, 'open connections at once (event streams and ?wait=true included); one more is closed as soon as it is accepted'),
  MAX_SSE_STREAMS: limit(100, 1, 100_000, 'open event streams (GET /jobs/:id/events) at once; beyond it 429 TOO_MANY_STREAMS'),
  MAX_SSE_STREAMS_PER_JOB: limit(10, 1, 100_000, 'open event streams of one job at once; beyond it 429 TOO_MANY_STREAMS'),
  SIM_MAX_DELAY_MS: limit(10_000, 0, 3_600_000, '/sim/delay and net: largest delay (ms + jitterMs); 10 s as go-httpbin'),
  SIM_MAX_BYTES: limit(MiB, 0, 1024 * MiB, '/sim/delay and net: largest response body; 1 MiB as go-httpbin'),
  CANCEL_GRACE_MS: limit(500, 0, 60_000,
    'on cancel, how long a file task already running in a worker thread may take to finish before its thread is terminated (terminating it mid-I/O leaks the file descriptor); 0: terminate at once'),
  INLINE_YIELD_MS: limit(50, 1, 60_000,
    'inline and async modes give the event loop a turn after a task once this long has passed, so cancel, timeouts and progress still work'),
  PROGRESS_INTERVAL_MS: limit(100, 10, 60_000, 'least time between two progress events of a job'),
  SHUTDOWN_GRACE_MS: limit(10_000, 100, 600_000, 'longest graceful shutdown before a forced exit'),
  DAEMON_SHUTDOWN_WAIT_MS: limit(5_000, 0, 600_000, 'at shutdown, how long non-daemon jobs may run on and non-daemon timers may fire before they are cancelled (daemon ones are abandoned at once)'),
  LAB_MAX_WORKERS: limit(16, 1, 256, 'labs: threads of one lab run (race, deadlock, producer/consumer)'),
  LAB_MAX_OPERATIONS: limit(10_000_000, 1, 1_000_000_000, 'labs: increments per worker (race), messages (producer/consumer)'),
  LAB_MAX_MS: limit(30_000, 100, 600_000, 'labs: longest a lab run may take; it is stopped and reported beyond'),
  // The labs' CPython originals (docs/labs/cpython.md): run beside the Node run when a request asks for them.
  PYTHON: Type.String({
    pattern: '^[^\\s]{1,4096}$',
    default: 'python3',
    description: 'labs: the CPython (>= 3.10) that runs each lab\'s Python original when a request sets cpython: true (a name looked up on PATH, or a path); missing or older: the answer\'s cpython field says why'
  }),
  MAX_TIMERS: limit(100, 1, 100_000, 'timers: live timers at once'),
  MAX_TIMER_DELAY_MS: limit(3_600_000, 0, 86_400_000, 'timers: largest delayMs and intervalMs'),
  MAX_TIMER_FIRES: limit(10_000, 1, 10_000_000, 'timers: largest count of a repeating timer'),
  MAX_COMPARE_RUNS: limit(40, 1, 1000, 'compare: modes × concurrency levels of one experiment'),
  // The cluster mode (docs/cluster.md): every replica with REDIS_URL runs slices of any replica's cluster jobs.
  REDIS_URL: Type.Optional(Type.String({
    pattern: '^rediss?://[^\\s]+$',
    description: 'cluster mode: the Redis (≥ 6.2) its replicas share (redis://[user:password@]host:port[/db], rediss:// for TLS); unset: the cluster mode is unavailable and a cluster job answers 400 MODE_UNAVAILABLE'
  })),
  REPLICA_ID: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9._-]{1,128}$',
    description: 'cluster mode: this replica\'s name in byReplica and the logs (Kubernetes: the pod name); default <hostname>-<pid>'
  })),
  CLUSTER_QUEUE: Type.String({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    default: 'conclab-slices',
    description: 'cluster mode: the BullMQ queue of slices (replicas that share it form one cluster)'
  }),
  CLUSTER_SLICE_MS: limit(200, 1, 60_000, 'cluster mode, batch auto: run time one slice carries (each slice costs a few Redis round trips: a longer slice makes that a smaller share)'),
  CLUSTER_WORKER_SLICES: limit(0, 0, 10_000, 'cluster mode: slices this replica runs at once (0: POOL_SIZE × POOL_TASKS_PER_THREAD, one per pool thread)'),
  CLUSTER_LOCK_MS: limit(10_000, 500, 600_000, 'cluster mode: a slice whose replica stops renewing its lock for this long (the replica died) is run again elsewhere (BullMQ stalled-job recovery; checked every half of it)'),
  CLUSTER_REDIS_TIMEOUT_MS: limit(5_000, 100, 600_000, 'cluster mode: a cluster job whose coordinator cannot reach Redis for this long fails (JOB_CLUSTER_DOWN)'),
  UPSTREAM_URL: Type.Optional(Type.String({
    pattern: '^https?://[^\\s/]+',
    description: 'net workload upstream (serves /sim/delay); default: one the service starts on loopback in its own thread'
  }))
})

export type Config = Static<typeof ConfigSchema>

/** Reads and validates the environment (or `overrides`, for tests). Throws an error naming the variable. */
export function loadConfig (overrides: Partial<Record<keyof Config, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  let config: Config
  try {
    config = envSchema<Config>({ schema: ConfigSchema, data: { ...env, ...overrides }, env: false })
  } catch (error) {
    const errors = (error as { errors?: SchemaError[] }).errors
    throw errors ? new Error(`invalid configuration: ${describeSchemaErrors(errors, 'env')}`) : error
  }
  if (config.DEFAULT_JOB_TIMEOUT_MS > config.MAX_JOB_TIMEOUT_MS) {
    throw new Error(`env/DEFAULT_JOB_TIMEOUT_MS must be <= MAX_JOB_TIMEOUT_MS (${config.MAX_JOB_TIMEOUT_MS})`)
  }
  if (config.DAEMON_SHUTDOWN_WAIT_MS >= config.SHUTDOWN_GRACE_MS) {
    throw new Error(`env/DAEMON_SHUTDOWN_WAIT_MS must be < SHUTDOWN_GRACE_MS (${config.SHUTDOWN_GRACE_MS}), or shutdown is forced before non-daemon jobs are cancelled cleanly`)
  }
  return config
}

/** Test helper: a config from defaults plus overrides, ignoring the process environment. */
export function testConfig (overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', PORT: 0, ...overrides }, {})
}

/**
 * Whether Fastify's request lines (logged at info) show for probe and scrape requests: only when both
 * PROBE_LOG_LEVEL and LOG_LEVEL let info through.
 */
export function probeRequestsLogged (config: Config): boolean {
  return Math.max(LEVEL_RANK[config.PROBE_LOG_LEVEL], LEVEL_RANK[config.LOG_LEVEL]) <= LEVEL_RANK.info
}
