/**
 * Issue 14, item 5: a daemon file job abandoned at shutdown leaves what a Python daemon thread would leave — its temp
 * dir, with what its tasks had written, because its cleanup (the thread's `finally`) does not run — and the log and
 * the job's answer say so; a non-daemon file job cancelled after DAEMON_SHUTDOWN_WAIT_MS still cleans up (a
 * non-daemon thread is joined and runs its `finally`); the next start's sweep removes the dir that was left.
 * Real service processes (src/server.ts under tsx) with a TMPDIR of the test's own, stopped by SIGTERM.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { startServiceProcesses } from '../support/service-processes.js'

interface LogLine { level: number, msg: string, [field: string]: unknown }

const logLines = (output: string): LogLine[] => output.split('\n').flatMap((line) => {
  try {
    const parsed = JSON.parse(line) as LogLine
    return typeof parsed.msg === 'string' ? [parsed] : []
  } catch {
    return []
  }
})

async function until<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** The job's final view, from its own ?wait=true request: the answer a client holding it gets at shutdown. */
function submitAndWait (url: string, spec: Record<string, unknown>): Promise<Record<string, any>> {
  return fetch(`${url}/jobs?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) })
    .then(async (response) => {
      assert.equal(response.status, 200)
      return await response.json() as Record<string, any>
    })
}

test('SIGTERM abandons a daemon file job like a Python daemon thread: its temp dir stays, the log says so, a non-daemon job cleans up, the next start sweeps it', { timeout: 90_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'conclab-daemon-test-'))
  t.after(() => rmSync(tmp, { recursive: true, force: true }))
  const env = { TMPDIR: tmp, MAX_RUNNING_JOBS: '2', DAEMON_SHUTDOWN_WAIT_MS: '500', SHUTDOWN_GRACE_MS: '10000' }
  const [first] = await startServiceProcesses(t, 1, env)
  const service = first!
  // Hours of work each: only the shutdown ends them. 1 MiB files in two threads (the daemon job) and on the loop.
  const long = { workload: 'file', tasks: 1_000_000, concurrency: 2, params: { bytes: 1024 * 1024 } }
  const daemonAnswer = submitAndWait(service.url, { ...long, mode: 'threads', daemon: true })
  const nonDaemonAnswer = submitAndWait(service.url, { ...long, mode: 'async' })
  daemonAnswer.catch(() => {})
  nonDaemonAnswer.catch(() => {})
  const running = await until('both jobs running with tasks done', async () => {
    const { jobs } = await (await fetch(`${service.url}/jobs?status=running`)).json() as { jobs: Array<Record<string, any>> }
    return jobs.length === 2 && jobs.every((job) => job.progress.done > 2) ? jobs : undefined
  })
  const daemonId = running.find((job) => job.spec.daemon === true)!.id as string
  const nonDaemonId = running.find((job) => job.spec.daemon === false)!.id as string
  const dirsOf = (id: string) => readdirSync(tmp).filter((name) => name.startsWith(`concurrency-lab-${service.pid}-`) && name.includes(`-${id.slice(0, 8)}-`))
  assert.equal(dirsOf(daemonId).length, 1, 'the daemon job writes in its temp dir')
  assert.equal(dirsOf(nonDaemonId).length, 1, 'the non-daemon job writes in its temp dir')

  const exited = once(service.process, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  service.process.kill('SIGTERM')
  const [daemonJob, nonDaemonJob] = await Promise.all([daemonAnswer, nonDaemonAnswer])
  const [code] = await exited
  assert.equal(code, 0, service.output())

  // The daemon job: abandoned at once, its cleanup skipped; what it left is on disk, and its answer says what.
  assert.equal(daemonJob.status, 'cancelled')
  assert.match(daemonJob.error.message, /a daemon job is abandoned at once\): abandoned like a Python daemon thread at exit: its cleanup did not run; left \S+ \(\d+ files, \d+ bytes when it was stopped\); the next start of the service removes it/)
  const [left] = dirsOf(daemonId)
  assert.ok(left, `the daemon job's temp dir is left in ${tmp}: ${readdirSync(tmp).join(', ')}`)
  const leftPath = join(tmp, left)
  const files = readdirSync(leftPath)
  for (const name of files) assert.match(name, /^task-\d+\.bin$/, 'only what its tasks were writing')
  const bytes = files.reduce((sum, name) => sum + statSync(join(leftPath, name)).size, 0)

  // The log (pino JSON): one warning naming the job, the dir, and what was in it when the job was stopped.
  const lines = logLines(service.output())
  const warning = lines.find((line) => line.jobId === daemonId && line.leftBehind !== undefined)
  assert.ok(warning, `a log line for the abandoned job:\n${service.output()}`)
  const leftBehind = warning.leftBehind as { path: string, files: number, bytes: number }
  assert.equal(warning.level, 40, 'a warning')
  assert.equal(leftBehind.path, leftPath)
  assert.match(warning.msg, new RegExp(`daemon job ${daemonId} abandoned like a Python daemon thread at exit: its cleanup did not run; left ${leftPath} \\(${leftBehind.files} files, ${leftBehind.bytes} bytes when it was stopped\\)`))
  assert.ok(daemonJob.error.message.includes(`left ${leftPath} (${leftBehind.files} files, ${leftBehind.bytes} bytes`))
  // Its threads are terminated before the count, so the disk holds what the log says: ≤ 1 file per thread, each a
  // task's header + at most its 1 MiB.
  assert.equal(files.length, leftBehind.files, `on disk: ${files.join(', ')}`)
  assert.equal(bytes, leftBehind.bytes)
  assert.ok(files.length <= 2)
  t.diagnostic(`left ${leftPath}: ${files.length} files, ${bytes} bytes`)

  // The non-daemon job ran on for DAEMON_SHUTDOWN_WAIT_MS, then was cancelled, and cleaned up (its finally ran).
  assert.equal(nonDaemonJob.status, 'cancelled')
  assert.match(nonDaemonJob.error.message, /a non-daemon job still running after DAEMON_SHUTDOWN_WAIT_MS/)
  assert.deepEqual(dirsOf(nonDaemonId), [], 'the non-daemon job removed its temp dir')
  assert.ok(lines.some((line) => /^closed: /.test(line.msg)), 'the shutdown completed')

  // The next start (another pid) removes the dir of the service that is gone, and says so.
  const [next] = await startServiceProcesses(t, 1, env)
  assert.equal(existsSync(leftPath), false, 'the next start swept it')
  const swept = logLines(next!.output()).find((line) => Array.isArray(line.swept))
  assert.ok(swept, next!.output())
  assert.ok((swept.swept as string[]).includes(leftPath))
})
