import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { promisify } from 'node:util'
import { childrenOf, running, statOf, type ProcessStat } from './load-proc.js'

const root = new URL('../..', import.meta.url)

export interface Exit { code: number | null, signal: NodeJS.Signals | null, at: number }

/** The compiled service as `npm start` runs it, watched from /proc. */
export interface LoadService {
  process: ChildProcess
  pid: number
  url: string
  output: () => string
  /** resolves when the service's process has exited (`at`: performance.now()) */
  exited: Promise<Exit>
  /** the lines of the whole log that match */
  grep: (pattern: RegExp) => string[]
  /** every process seen with the service (or one of those) as its parent, from a /proc scan every 50 ms */
  descendants: () => ProcessStat[]
}

const MAX_HEAD_BYTES = 16 * 1024
const MAX_TAIL_BYTES = 64 * 1024

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `npm start` is `npm run build && exec node dist/src/server.js`: the same two steps here, so the test holds the
 * service's own process (its exit code, its pid for /proc) rather than npm's. PORT=0 and the port read from the
 * log, in a process group of its own, logging to a file (kept with LOAD_KEEP_LOG=1). After the test, the group
 * and every child seen are killed, should the service have left any.
 */
export async function startBuiltService (t: TestContext, env: Record<string, string>): Promise<LoadService> {
  await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: root, timeout: 60_000 })
  // The log goes to a file, as in production, not to a pipe: on Linux a write to a pipe is synchronous, so a pipe
  // this busy test drains late would hold the service's event loop (at info, each request writes two lines).
  const logDir = mkdtempSync(join(tmpdir(), 'conclab-load-log-'))
  const logFile = join(logDir, 'service.log')
  const logFd = openSync(logFile, 'a')
  const child = spawn(process.execPath, ['dist/src/server.js'], {
    cwd: root,
    detached: true,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_PRETTY: 'false', ...env },
    stdio: ['ignore', logFd, logFd]
  })
  closeSync(logFd)
  /** The log: its start (the listening line) and its last MAX_TAIL_BYTES (the shutdown), not the megabytes between. */
  const output = () => {
    const fd = openSync(logFile, 'r')
    try {
      const size = fstatSync(fd).size
      const read = (position: number, length: number) => {
        const buffer = Buffer.alloc(length)
        return buffer.subarray(0, readSync(fd, buffer, 0, length, position)).toString('utf8')
      }
      if (size <= MAX_HEAD_BYTES + MAX_TAIL_BYTES) return read(0, size)
      return `${read(0, MAX_HEAD_BYTES)}\n[…]\n${read(size - MAX_TAIL_BYTES, MAX_TAIL_BYTES)}`
    } finally {
      closeSync(fd)
    }
  }
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }))
  })

  const seen = new Map<number, ProcessStat>()
  const track = setInterval(() => {
    const parents = new Set([child.pid!, ...seen.keys()])
    for (const found of childrenOf(parents)) if (!seen.has(found.pid)) seen.set(found.pid, found)
  }, 50)
  t.after(async () => {
    clearInterval(track)
    for (const known of seen.values()) if (running(known)) process.kill(known.pid, 'SIGKILL')
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {} // the group is gone already
    await exited
    if (process.env.LOAD_KEEP_LOG === '1') console.log(`# the service's log: ${logFile}`)
    else rmSync(logDir, { recursive: true, force: true })
  })

  const deadline = performance.now() + 30_000
  let url: string | undefined
  while (url === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) assert.fail(`the service ended before listening:\n${output()}`)
    if (performance.now() > deadline) assert.fail(`no 'Server listening' within 30 s:\n${output()}`)
    url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1]
    if (url === undefined) await sleep(20)
  }
  assert.ok(statOf(child.pid!), 'the service runs')
  const grep = (pattern: RegExp) => readFileSync(logFile, 'utf8').split('\n').filter((line) => pattern.test(line))
  return { process: child, pid: child.pid!, url, output, grep, exited, descendants: () => [...seen.values()] }
}
