import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

/** Placeholder: the producer-consumer lab's routes are being written. */
const routes: FastifyPluginAsyncTypebox = async () => {}

export default routes
