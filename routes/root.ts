import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { machineInfo } from '../src/measure/environment.js'
import { WORKLOAD_NAMES, workloads } from '../src/workloads/index.js'

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
  unavailableModes: Type.Record(Type.String(), Type.String(), { description: 'modes this configuration cannot run, with why (a job in one answers 400 MODE_UNAVAILABLE)' }),
  workloads: Type.Record(Type.String(), Type.String()),
  limits: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
  links: Type.Record(Type.String(), Type.String())
})

/** GET / — what this service is, the machine it runs on, its limits and where to go next. */
const rootRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, modes } = app.lab
  // Every numeric setting is a limit or a timing a user may need to know (PORT is where they already are).
  const limits = Object.fromEntries(Object.entries(config).filter(([key, value]) => typeof value === 'number' && key !== 'PORT'))
  app.get('/', { schema: { summary: 'Service info', response: { 200: InfoSchema } } }, async () => ({
    name: 'concurrency-lab',
    version: app.lab.version,
    ...machineInfo(),
    poolSize: config.POOL_SIZE,
    modes: modes.names,
    modeDescriptions: Object.fromEntries(modes.all.map((mode) => [mode.name, mode.description])),
    unavailableModes: modes.unavailable(config),
    workloads: Object.fromEntries(WORKLOAD_NAMES.map((name) => [name, workloads[name].summary])),
    limits,
    links: { docs: '/docs', openapi: '/docs/json', jobs: '/jobs', health: '/healthz', ready: '/readyz' }
  }))
}

export default rootRoutes
