import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Admission } from './admission/admission.js'
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import healthRoutes from '../routes/health.js'
import labRoutes from '../routes/labs.js'
import metricsRoutes from '../routes/metrics.js'
import jobEventRoutes from '../routes/job-events.js'
import jobRoutes from '../routes/jobs.js'
import rootRoutes from '../routes/root.js'
import simRoutes from '../routes/sim.js'
import uiRoutes from '../routes/ui.js'
import workRoutes from '../routes/work.js'
import { probeRequestsLogged, type Config } from './config.js'
import type { ModeDefinition, ModeEngine } from './executors/mode-definition.js'
import { BUILT_IN_MODES, ModeRegistry } from './executors/registry.js'
import { startWorkerPool, type WorkerPool } from './executors/worker-pool.js'
import { logAbandoned } from './jobs/daemon-abandon.js'
import { JobScheduler } from './jobs/job-scheduler.js'
import type { RunnerDeps } from './jobs/runner-deps.js'
import { SpecService } from './jobs/spec-service.js'
import { ServiceMetrics } from './metrics/service-metrics.js'
import { httpMetrics } from './metrics/http-metrics.js'
import { access } from './plugins/auth.js'
import { answerFrameworkError, clientErrorAnswers, guardConnections, nodeServerOptions, requestIds, requireHost } from './plugins/client-errors.js'
import { errorHandler } from './plugins/error-handler.js'
import { addsLoad, loadShedding } from './plugins/load-shedding.js'
import { ShuttingDown, withRetryAfter } from './errors.js'
import { ErrorSchema } from './plugins/error-schema.js'
import { schemaValidators } from './plugins/schema-validators.js'
import { openApi } from './plugins/swagger.js'
import { servicePackage } from './service-info.js'
import { startUpstream, type Upstream } from './upstream/upstream-thread.js'
import { describeSchemaErrors } from './validation-message.js'
import { workloads } from './workloads/index.js'

/** The service's shared parts, created once per app and closed with it. */
export interface Lab {
  config: Config
  pool: WorkerPool
  scheduler: JobScheduler
  metrics: ServiceMetrics
  upstreamUrl: string
  /** the net workload's upstream: whether it is up (/readyz), its thread */
  upstream: Upstream
  modes: ModeRegistry
  /** validates, cross-checks and completes every spec that runs tasks */
  specs: SpecService
  /** what runs tasks needs (the scheduler's runner, and the single-task path of /work and timers) */
  runner: RunnerDeps
  /** the cores' budget: what may run now (jobs, labs, /work, timer fires) */
  admission: Admission
  version: string
  /** false until the pool is warm, and again once shutdown begins */
  ready: boolean
  /** aborted when shutdown begins: what lives beside the jobs (timers) ends then, within DAEMON_SHUTDOWN_WAIT_MS as they do */
  stopping: AbortSignal
}

declare module 'fastify' {
  interface FastifyInstance {
    lab: Lab
  }
}

function loggerOptions (config: Config): FastifyServerOptions['logger'] {
  const pretty = config.LOG_PRETTY === 'true' || (config.LOG_PRETTY === 'auto' && process.stdout.isTTY)
  return pretty
    ? { level: config.LOG_LEVEL, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l' } } }
    : { level: config.LOG_LEVEL }
}

const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

/**
 * Probes and scrapes come every few seconds: their request lines would flood an info log (PROBE_LOG_LEVEL). Decided
 * per request by path, which costs less than a route log level (pino re-binds every level method of the request's
 * child logger for that: bench P1).
 */
function logController (config: Config): LogController {
  if (probeRequestsLogged(config)) return new LogController()
  return new LogController({
    disableRequestLogging: (request: { url?: string }) => {
      const url = request.url ?? ''
      const query = url.indexOf('?')
      return PROBE_PATHS.has(query < 0 ? url : url.slice(0, query))
    }
  })
}

export interface AppOptions {
  /** the modes this app runs (default: the built-in ones); a test adds one here */
  modes?: readonly ModeDefinition[]
}

/** Builds the whole service (used by server.ts and by the tests); it does not listen. */
export async function buildApp (config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config),
    logController: logController(config),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Only a clean x-request-id is kept (it names temp dirs, and goes into logs and event streams).
    requestIdHeader: false,
    genReqId: requestIds('x-request-id'),
    // Server limits (docs/configuration.md). Node's own answers to a bad or slow request get the error shape.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    http: nodeServerOptions(config),
    clientErrorHandler: clientErrorAnswers(config),
    frameworkErrors: answerFrameworkError,
    // While closing, Fastify would answer every request a bare 503 (no code, no Retry-After): refuseWhileClosing does.
    return503OnClosing: false,
    // Reject unknown properties instead of silently dropping them (Fastify's default removes them).
    schemaErrorFormatter: (errors, dataVar) => new Error(describeSchemaErrors(errors, dataVar))
  }).withTypeProvider<TypeBoxTypeProvider>()
  guardConnections(app.server, config, app.log)
  app.addHook('onRequest', requireHost)

  // JSON only: Fastify would otherwise parse text/plain bodies and fail them with a confusing schema error.
  app.removeContentTypeParser('text/plain')
  app.setValidatorCompiler(schemaValidators())
  app.addSchema(ErrorSchema)

  const modes = new ModeRegistry(options.modes ?? BUILT_IN_MODES)
  const specs = new SpecService(config, modes)
  // What services that are gone left behind (they were killed before they could clean up).
  for (const workload of Object.values(workloads)) {
    const swept = await workload.sweep?.() ?? []
    if (swept.length > 0) app.log.info({ swept }, `removed ${swept.length} temp path(s) of services that are gone`)
  }
  const upstream = await startUpstream(config, app.log)
  const pool = await startWorkerPool(config, app.log)
  const engines = new Map<string, ModeEngine>()
  const runtime = { pool, engines }
  // The hooks run only once tasks do, after `metrics` exists.
  const admission = new Admission(config)
  const runner: RunnerDeps = {
    admission,
    config,
    modes,
    runtime,
    upstreamUrl: upstream.url,
    warmed: new Set(),
    observeTasks: (labels) => metrics.taskObserver(labels),
    observeChildCpu: (cpu) => metrics.childCpu(cpu)
  }
  const scheduler: JobScheduler = new JobScheduler({
    ...runner,
    onJobEnd: (job) => {
      metrics.jobEnded(job)
      logAbandoned(app.log, job)
    }
  })
  const metrics = new ServiceMetrics({ scheduler: () => scheduler, pool, modes, runtime, version: servicePackage.version })
  // Engines of the modes that need one (cluster: Redis and its slice worker), for modes this config can run.
  for (const mode of modes.all) {
    if (!mode.startEngine || mode.unavailable?.(config) !== undefined) continue
    engines.set(mode.name, await mode.startEngine({ config, pool, upstreamUrl: upstream.url, log: app.log, observeTasks: (labels) => metrics.taskObserver(labels) }))
  }
  const stopping = new AbortController()
  const lab: Lab = {
    stopping: stopping.signal,
    admission,
    config,
    pool,
    scheduler,
    metrics,
    upstreamUrl: upstream.url,
    upstream,
    modes,
    specs,
    runner,
    version: servicePackage.version,
    ready: true
  }
  app.decorate('lab', lab)
  // Before any route (the Swagger UI's included): it binds each route's metric labels as the route is registered.
  await app.register(httpMetrics, { histogram: metrics.http })
  await app.register(errorHandler, { bodyLimit: config.BODY_LIMIT_BYTES })
  await app.register(access, { config }) // API_TOKEN, METRICS_TOKEN, READ_ONLY: before any route (docs/security.md)
  // After access (a caller without the token learns nothing, and spends no one's rate), before the routes: its hooks
  // refuse new work under pressure or over a client's rate (probes, reads and cancels pass).
  await app.register(loadShedding, { config })
  await app.register(openApi, { version: servicePackage.version })

  // Shutdown order: refuse new jobs and cancel the running ones (their executors kill threads and children and
  // remove temp files) before the server closes: server.close() waits for open connections, and an SSE stream or
  // a ?wait=true request only ends when its job does. Then stop the pool and the upstream thread.
  // While closing, every answer ends its connection: server.close() waits for keep-alive connections, and one
  // that is busy when shutdown begins would otherwise stay open until its keep-alive timeout (72 s).
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!lab.ready) reply.header('connection', 'close')
    done(null, payload)
  })
  // Once shutdown begins, what would add load is refused in the error shape; reads, cancels and probes still answer.
  app.addHook('onRequest', async (request) => {
    if (!lab.ready && addsLoad(request)) throw withRetryAfter(new ShuttingDown(), Math.ceil(config.SHUTDOWN_GRACE_MS / 1000))
  })
  app.addHook('preClose', async () => {
    lab.ready = false
    stopping.abort()
    await scheduler.shutdown()
  })
  app.addHook('onClose', async () => {
    await scheduler.shutdown() // again: a job submitted while the server was closing
    for (const engine of engines.values()) await engine.close()
    await pool.destroy()
    await upstream.close()
    metrics.close()
  })

  await app.register(rootRoutes)
  await app.register(healthRoutes)
  await app.register(jobRoutes)
  await app.register(jobEventRoutes)
  await app.register(workRoutes)
  await app.register(simRoutes)
  await app.register(metricsRoutes)
  await app.register(labRoutes)
  await app.register(uiRoutes)
  return app
}
