import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { TaskCursor } from '../src/executors/task-cursor.js'
import { fileDirPrefix } from '../src/workloads/file.js'
import { buildTestApp, fileDirsOf, runJob } from './support/app.js'

/** Issue 11, item 9: what a killed service leaves behind is swept; a huge chunk given back does not throw. */

test('a start removes the temp dirs of services that are gone and leaves those of live ones', async (t) => {
  // A pid that surely belongs to no process now: a child that has exited.
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!
  const orphan = join(tmpdir(), `${fileDirPrefix('deadbeef-0000', gone)}abc123`)
  const ours = join(tmpdir(), `${fileDirPrefix('cafebabe-0000')}abc123`)
  for (const dir of [orphan, ours]) {
    mkdirSync(join(dir, 'nested'), { recursive: true })
    writeFileSync(join(dir, 'nested', 'task-0'), 'x')
  }
  t.after(() => { for (const dir of [orphan, ours]) rmSync(dir, { recursive: true, force: true }) })
  const app = await buildTestApp(t)
  assert.equal(existsSync(orphan), false, 'the dead service\'s dir is removed')
  assert.equal(existsSync(ours), true, 'a live service\'s dir stays')
  // A job's own dir carries this process's pid, and is gone when the job is.
  const job = await runJob(app, { workload: 'file', mode: 'async', tasks: 2, concurrency: 2, params: { bytes: 1024 } })
  assert.equal(job.status, 'succeeded')
  assert.deepEqual(fileDirsOf(job.id), [])
})

test('TaskCursor takes back a chunk of 200 000 indices (a spread of it would overflow the stack)', () => {
  const cursor = new TaskCursor(300_000)
  const chunk = cursor.take(200_000)
  cursor.giveBack(chunk)
  assert.equal(cursor.remaining, 300_000)
  assert.deepEqual(cursor.take(3), [0, 1, 2])
})
