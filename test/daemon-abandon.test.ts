import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { fileDirPrefix, processStartTicks, sweepOrphanedFileDirs } from '../src/workloads/file.js'
import { buildTestApp, fileDirsOf, getJob, submitJob, waitFor } from './support/app.js'

/** Issue 14, item 5: a daemon job at shutdown is a Python daemon thread at exit; its cleanup (finally) does not run. */

const longFileJob = { workload: 'file', tasks: 1_000_000, concurrency: 2, params: { bytes: 256 * 1024 } }

test('app close abandons a daemon file job: its temp dir stays with what was written, and its error says what', async (t) => {
  const app = await buildApp(testConfig({ MAX_RUNNING_JOBS: 2 }))
  let closed = false
  t.after(async () => { if (!closed) await app.close() })
  const daemon = await submitJob(app, { ...longFileJob, mode: 'threads', daemon: true })
  const db = await submitJob(app, { workload: 'db', mode: 'async', tasks: 100_000, concurrency: 2, daemon: true, params: { latencyMs: 20 } })
  await waitFor(async () => (await getJob(app, daemon.id)).progress.done > 2 && (await getJob(app, db.id)).progress.done > 0)
  const job = app.lab.scheduler.get(daemon.id)
  const dbJob = app.lab.scheduler.get(db.id)
  await app.close()
  closed = true
  // This process lives on, so no sweep would remove it: the test does.
  const [left] = fileDirsOf(daemon.id)
  assert.ok(left, 'the daemon job\'s temp dir is left')
  const path = join(tmpdir(), left)
  t.after(() => rmSync(path, { recursive: true, force: true }))
  assert.equal(job.status, 'cancelled')
  assert.deepEqual(job.leftBehind, {
    path,
    files: readdirSync(path).length,
    bytes: readdirSync(path).reduce((sum, name) => sum + statSync(join(path, name)).size, 0)
  })
  assert.equal(job.error!.message, `cancelled by service shutdown (a daemon job is abandoned at once): abandoned like a Python daemon thread at exit: its cleanup did not run; left ${path} (${job.leftBehind!.files} files, ${job.leftBehind!.bytes} bytes when it was stopped); the next start of the service removes it`)
  // A db job has nothing that outlives the process: in memory, gone with it, as in Python; its message is as before.
  assert.equal(dbJob.status, 'cancelled')
  assert.equal(dbJob.leftBehind, null)
  assert.equal(dbJob.error!.message, 'cancelled by service shutdown (a daemon job is abandoned at once)')
})

test('a daemon file job cancelled by DELETE while the service runs cleans up: that is no interpreter exit', async (t) => {
  const app = await buildTestApp(t)
  const { id } = await submitJob(app, { ...longFileJob, mode: 'threads', daemon: true })
  await waitFor(async () => (await getJob(app, id)).progress.done > 2)
  assert.equal(fileDirsOf(id).length, 1)
  const response = await app.inject({ method: 'DELETE', url: `/jobs/${id}` })
  assert.equal(response.json().status, 'cancelled')
  assert.equal(response.json().error.message, 'cancelled by request')
  assert.deepEqual(fileDirsOf(id), [])
})

test('a non-daemon file job cancelled after DAEMON_SHUTDOWN_WAIT_MS cleans up (a joined thread runs its finally)', async (t) => {
  const app = await buildApp(testConfig({ DAEMON_SHUTDOWN_WAIT_MS: 200 }))
  t.after(() => app.close())
  const { id } = await submitJob(app, { ...longFileJob, mode: 'threads' })
  await waitFor(async () => (await getJob(app, id)).progress.done > 2)
  const job = app.lab.scheduler.get(id)
  await app.close()
  assert.match(job.error!.message, /non-daemon job still running after DAEMON_SHUTDOWN_WAIT_MS/)
  assert.equal(job.leftBehind, null)
  assert.deepEqual(fileDirsOf(id), [])
})

test('the sweep tells a dir of this pid\'s earlier life (same pid, other start time: a restarted container) from its own', { skip: processStartTicks(process.pid) === undefined ? 'no /proc here' : false }, async (t) => {
  const base = join(tmpdir(), `conclab-sweep-test-${process.pid}`)
  mkdirSync(base, { recursive: true })
  t.after(() => rmSync(base, { recursive: true, force: true }))
  const earlier = join(base, `${fileDirPrefix('deadbeef-0000', process.pid, '1')}abc123`)
  const own = join(base, `${fileDirPrefix('cafebabe-0000')}abc123`)
  for (const dir of [earlier, own]) mkdirSync(dir)
  assert.deepEqual(await sweepOrphanedFileDirs(base), [earlier])
  assert.equal(existsSync(earlier), false)
  assert.equal(existsSync(own), true)
})
