/**
 * Debian's redis-server for a benchmark: on a free loopback port, without persistence (no RDB, no AOF: nothing is
 * written to disk), in the bench's own process group, stopped (SIGKILL: it holds nothing worth keeping) by stop().
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from './free-port.js'

export interface RunningRedis {
  url: string
  pid: number
  stop: () => Promise<void>
}

const START_TIMEOUT_MS = 10_000

export async function startRedis (): Promise<RunningRedis> {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout!.on('data', (chunk: Buffer) => { log += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { log += chunk.toString() })
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', (error) => { reject(new Error(`redis-server could not start (apt-get install redis-server): ${error.message}`)) })
  })
  const exited = once(child, 'exit')
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await exited
  }
  await spawned
  const deadline = performance.now() + START_TIMEOUT_MS
  while (!log.includes('Ready to accept connections')) {
    if (child.exitCode !== null) throw new Error(`redis-server exited before it was ready:\n${log}`)
    if (performance.now() > deadline) {
      await stop()
      throw new Error(`redis-server was not ready within ${START_TIMEOUT_MS} ms:\n${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  // Its log is not needed once it runs; stop buffering it.
  child.stdout!.removeAllListeners('data').resume()
  child.stderr!.removeAllListeners('data').resume()
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid!, stop }
}
