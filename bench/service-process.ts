/**
 * Starts the compiled service (dist/src/server.js, as `npm start` does) in a child process on a free loopback port,
 * so that load generated in the bench process never shares an event loop with it. Stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { freePort } from './free-port.js'

export interface RunningServer {
  url: string
  pid: number
  stop: () => Promise<void>
  /**
   * SIGSTOP / SIGCONT: an idle server still wakes up (the service's samplers tick every 10 ms), and on a core shared
   * with the server being measured each wake-up costs that one time; a stopped one never runs.
   */
  pause: () => void
  resume: () => void
}

const START_TIMEOUT_MS = 30_000

/** Runs `script` with PORT set; resolves once GET `readyPath` answers 200. */
export interface StartOptions {
  env?: Record<string, string>
  args?: string[]
  readyPath?: string
  /** run it on these CPUs only (`taskset -c`), e.g. '0' */
  cpus?: string
}

export async function startServer (script: URL, options: StartOptions = {}): Promise<RunningServer> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const argv = [...options.args ?? [], fileURLToPath(script)]
  const [command, commandArgs] = options.cpus === undefined ? [process.execPath, argv] : ['taskset', ['-c', options.cpus, process.execPath, ...argv]]
  const child = spawn(command, commandArgs, {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_PRETTY: 'false', ...options.env },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const exited = once(child, 'exit').then(([code]) => { throw new Error(`${script.pathname} exited with ${code} before it was ready`) })
  const deadline = performance.now() + START_TIMEOUT_MS
  for (;;) {
    const ready = await Promise.race([exited, fetch(`${url}${options.readyPath ?? '/'}`).then((response) => response.ok, () => false)])
    if (ready) break
    if (performance.now() > deadline) {
      await stopChild(child)
      throw new Error(`${script.pathname} was not ready within ${START_TIMEOUT_MS} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  exited.catch(() => {})
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGCONT') // a paused child could not act on SIGTERM
      await stopChild(child)
    },
    pause: () => { child.kill('SIGSTOP') },
    resume: () => { child.kill('SIGCONT') }
  }
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

export const serviceScript = new URL('../src/server.js', import.meta.url)

/** The service as `npm start` runs it: its defaults (logs included) unless a benchmark says otherwise. */
export function startService (env: Record<string, string> = {}, args: string[] = [], cpus?: string): Promise<RunningServer> {
  return startServer(serviceScript, { env, args, readyPath: '/readyz', ...(cpus === undefined ? {} : { cpus }) })
}
