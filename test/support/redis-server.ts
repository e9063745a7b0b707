import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { freePort } from '../../bench/free-port.js'

export interface RedisServer { url: string, port: number, process: ChildProcess, stop: () => Promise<void> }

/**
 * Debian's redis-server on loopback, without persistence (no RDB, no AOF: nothing is written to disk), stopped
 * after the test. The caller checks `external('redis-server')` first.
 */
export async function startRedis (t: { after: (cleanup: () => Promise<void>) => void }): Promise<RedisServer> {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout!.on('data', (chunk: Buffer) => { log += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { log += chunk.toString() })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await exited
  }
  t.after(stop)
  const deadline = performance.now() + 10_000
  while (!log.includes('Ready to accept connections')) {
    if (child.exitCode !== null) assert.fail(`redis-server exited before it was ready:\n${log}`)
    if (performance.now() > deadline) assert.fail(`redis-server not ready within 10 s:\n${log}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { url: `redis://127.0.0.1:${port}`, port, process: child, stop }
}
