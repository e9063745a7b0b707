import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig, type Config } from './config.js'

/** Within this long of the first, a SIGINT is the same Ctrl-C passed on (by npm), not a second one. */
const DUPLICATE_SIGNAL_MS = 1000

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
  // SIGINT is handled here, the rest by close-with-grace: see onInterrupt.
  const grace = closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS, skip: ['SIGINT'] }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal: signal ?? 'SIGINT' }, 'shutting down')
    await app.close()
    app.log.info('closed: jobs cancelled, pool destroyed, children killed, temp files removed (but those of abandoned daemon jobs: see their warnings above)')
  })
  let interruptedAt: number | undefined
  /**
   * Ctrl-C: the first shuts down gracefully, a second means "now" (exit 1) — but only a second that comes a moment
   * later. Under `npm start` one Ctrl-C arrives twice at once (the terminal sends it to the group, npm passes its own
   * on), which close-with-grace took for an impatient second and cut off the jobs a graceful shutdown lets finish.
   */
  const onInterrupt = () => {
    const now = performance.now()
    if (interruptedAt === undefined) {
      interruptedAt = now
      grace.close()
    } else if (now - interruptedAt > DUPLICATE_SIGNAL_MS) {
      app.log.error('second SIGINT, exiting at once')
      process.exit(1)
    }
  }
  process.on('SIGINT', onInterrupt)
  await app.listen({ host: config.HOST, port: config.PORT })
}

await main()
