import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import compareRoutes from './lab-compare.js'
import deadlockRoutes from './lab-deadlock.js'
import executorRoutes from './lab-executor.js'
import gilRoutes from './lab-gil.js'
import producerConsumerRoutes from './lab-producer-consumer.js'
import raceRoutes from './lab-race.js'
import timerRoutes from './lab-timers.js'

/** The seed's concurrency lessons as experiments: /labs/*, /timers and /experiments/compare. */
const labRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(raceRoutes)
  await app.register(deadlockRoutes)
  await app.register(producerConsumerRoutes)
  await app.register(executorRoutes)
  await app.register(gilRoutes)
  await app.register(timerRoutes)
  await app.register(compareRoutes)
}

export default labRoutes
