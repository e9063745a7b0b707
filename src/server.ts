import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig, type Config } from './config.js'

/** The only place that listens. Graceful shutdown on SIGINT/SIGTERM: see buildApp's close hooks. */
async function main (): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    console.error(`concurrency-lab: ${(error as Error).message}`)
    process.exit(1)
  }
  const app = await buildApp(config)
  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
    app.log.info('closed: jobs cancelled, pool destroyed, children killed, temp files removed')
  })
  await app.listen({ host: config.HOST, port: config.PORT })
}

await main()
