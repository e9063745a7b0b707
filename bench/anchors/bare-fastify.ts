/** P1's anchor: a bare Fastify hello world (no logger, no hooks, no schemas) on loopback, PORT from the env. */
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
