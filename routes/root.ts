import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { PythonRuntimeSchema } from '../src/cpython/cpython-schema.js'
import { findPython } from '../src/cpython/python-runtime.js'
import { machineInfo } from '../src/measure/environment.js'
import { WORKLOAD_NAMES, workloads } from '../src/workloads/index.js'
import { UI_PATH } from './ui.js'

const InfoSchema = Type.Object({
  name: Type.String(),
  version: Type.String(),
  node: Type.String(),
  platform: Type.String(),
  cpuModel: Type.String(),
  cores: Type.Integer(),
  cgroupCpuQuota: Type.Union([Type.Number(), Type.Null()]),
  poolSize: Type.Integer(),
  modes: Type.Array(Type.String()),
  modeDescriptions: Type.Record(Type.String(), Type.String(), { description: 'where each mode runs its tasks' }),
  modeLimits: Type.Record(Type.String(), Type.Object({
    concurrency: Type.Integer({ description: 'the largest concurrency a job in this mode may ask' }),
    concurrencyLimit: Type.String({ description: 'what sets it: its env variable, or why it is fixed' }),
    batches: Type.Boolean({ description: 'whether batch > 1 is allowed' })
  }), { description: 'per mode, what the job spec\'s schema cannot say (the web page\'s run form shows them)' }),
  unavailableModes: Type.Record(Type.String(), Type.String(), { description: 'modes this configuration cannot run, with why (a job in one answers 400 MODE_UNAVAILABLE)' }),
  workloads: Type.Record(Type.String(), Type.String()),
  limits: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
  links: Type.Record(Type.String(), Type.String()),
  cpython: Type.Object({
    available: Type.Boolean({ description: 'whether the labs can run their Python originals (cpython: true)' }),
    python: Type.Optional(PythonRuntimeSchema),
    reason: Type.Optional(Type.String({ description: 'when not available: why (no PYTHON on this machine, or older than 3.10)' }))
  }, { description: 'the CPython (PYTHON) the labs\' originals run on (docs/labs/cpython.md)' })
})

/** The weight (q) an Accept header gives a media type: its own entry, else type/*, else *\/*; 0 if none. */
export function acceptWeight (accept: string, mediaType: string): number {
  const [type] = mediaType.split('/')
  let best: { specificity: number, q: number } = { specificity: -1, q: 0 }
  for (const entry of accept.split(',')) {
    const [range = '', ...parameters] = entry.trim().toLowerCase().split(';').map((part) => part.trim())
    const specificity = range === mediaType ? 2 : range === `${type}/*` ? 1 : range === '*/*' ? 0 : -1
    if (specificity <= best.specificity) continue
    const qParameter = parameters.find((parameter) => parameter.startsWith('q='))
    const q = qParameter === undefined ? 1 : Number(qParameter.slice(2))
    best = { specificity, q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0 }
  }
  return best.q
}

/**
 * Whether a request for `/` comes from a browser that wants a page: it names text/html and weighs it above JSON.
 * curl (`*\/*`), `Accept: application/json`, no Accept, or a tie keep the JSON service info.
 */
export function wantsPage (accept: string | undefined): boolean {
  if (accept === undefined || !accept.toLowerCase().includes('text/html')) return false
  return acceptWeight(accept, 'text/html') > acceptWeight(accept, 'application/json')
}

/** GET / — what this service is, the machine it runs on, its limits and where to go next; a browser gets the page. */
const rootRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, modes } = app.lab
  // Every numeric setting is a limit or a timing a user may need to know (PORT is where they already are).
  const limits = Object.fromEntries(Object.entries(config).filter(([key, value]) => typeof value === 'number' && key !== 'PORT'))
  const modeLimits = Object.fromEntries(modes.all.map((mode) => {
    const limit = mode.concurrencyLimit(config)
    return [mode.name, { concurrency: limit.max, concurrencyLimit: limit.variable, batches: mode.batches }]
  }))
  const cpython = async () => {
    const found = await findPython(config.PYTHON)
    return found.ok ? { available: true, python: found.runtime } : { available: false, reason: found.reason }
  }
  const info = async () => ({
    name: 'concurrency-lab',
    version: app.lab.version,
    ...machineInfo(),
    poolSize: config.POOL_SIZE,
    modes: modes.names,
    modeDescriptions: Object.fromEntries(modes.all.map((mode) => [mode.name, mode.description])),
    modeLimits,
    unavailableModes: modes.unavailable(config),
    workloads: Object.fromEntries(WORKLOAD_NAMES.map((name) => [name, workloads[name].summary])),
    limits,
    links: { docs: '/docs', openapi: '/docs/json', jobs: '/jobs', health: '/healthz', ready: '/readyz', ui: UI_PATH },
    cpython: await cpython()
  })

  app.get('/', {
    schema: {
      summary: 'Service info (a browser asking for text/html is redirected to the web page at /ui/)',
      response: { 200: InfoSchema }
    }
  }, async (request, reply) => {
    reply.header('vary', 'accept')
    // The page is there unless the service runs without web/ (routes/ui.ts).
    if (wantsPage(request.headers.accept) && app.hasRoute({ method: 'GET', url: `${UI_PATH}*` })) return reply.redirect(UI_PATH, 302)
    return await info()
  })
}

export default rootRoutes
