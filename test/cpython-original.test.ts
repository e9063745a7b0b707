import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { runPython } from '../src/cpython/python-process.js'
import { findPython } from '../src/cpython/python-runtime.js'
import { runOriginal } from '../src/cpython/run-original.js'
import { pythonForTests } from './support/python.js'

const { executable, skip } = await pythonForTests()
const base = { script: 'runtime.py', params: {}, executable, timeoutMs: 10_000, what: 'test run' }

test('an original that is not requested does not run, and says how to ask for it', async () => {
  const answer = await runOriginal({ ...base, requested: false, signal: new AbortController().signal })
  assert.equal(answer.ran, false)
  assert.match(answer.reason ?? '', /set "cpython": true/)
})

test('without the python executable the answer says which one is missing and how to get it', async () => {
  const answer = await runOriginal({ ...base, requested: true, executable: 'no-such-python3-here', signal: new AbortController().signal })
  assert.equal(answer.ran, false)
  assert.match(answer.reason ?? '', /no no-such-python3-here on this machine \(PYTHON=no-such-python3-here\).*apt-get install python3/)
})

test('the original runs on CPython >= 3.10 and answers with its runtime beside its result', { skip }, async () => {
  const found = await findPython(executable)
  assert.ok(found.ok)
  const answer = await runOriginal<{ version: string }>({ ...base, requested: true, signal: new AbortController().signal })
  assert.equal(answer.ran, true, answer.reason)
  assert.equal(answer.script, 'python/runtime.py')
  assert.equal(answer.python?.implementation, 'cpython')
  assert.match(answer.python?.version ?? '', /^3\.\d+\.\d+/)
  assert.ok(Number(answer.python?.version.split('.')[1]) >= 10)
  assert.equal(answer.result?.version, answer.python?.version)
  assert.ok((answer.ms ?? 0) > 0)
})

test('a python process past its time is killed, and one that fails reports its last stderr line', { skip }, async () => {
  const started = performance.now()
  const slow = await runPython(executable, ['-c', 'import time; time.sleep(30)'], '', { timeoutMs: 300 })
  assert.equal(slow.timedOut, true)
  assert.ok(performance.now() - started < 5_000)
  const failed = await runPython(executable, ['-c', 'raise ValueError("bad input")'], '', { timeoutMs: 10_000 })
  assert.equal(failed.code, 1)
  assert.match(failed.stderr, /ValueError: bad input/)
})

test('an abort kills the python process at once', { skip }, async () => {
  const controller = new AbortController()
  const started = performance.now()
  const running = runPython(executable, ['-c', 'import time; time.sleep(30)'], '', { timeoutMs: 30_000, signal: controller.signal })
  setTimeout(() => controller.abort(), 100)
  const exit = await running
  assert.equal(exit.aborted, true)
  assert.ok(performance.now() - started < 5_000)
})

/** Gone: no such process, or a zombie (killed, waiting for whoever inherited it to reap it). */
function gone (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

test('nothing a python process starts outlives the call: a grandchild holding its pipes is killed with it', { skip }, async () => {
  const script = 'import subprocess, sys; p = subprocess.Popen(["sleep", "30"]); print(p.pid, flush=True); sys.exit(0)'
  const started = performance.now()
  const exit = await runPython(executable, ['-c', script], '', { timeoutMs: 10_000 })
  assert.equal(exit.code, 0)
  assert.ok(performance.now() - started < 3_000, `answered after ${Math.round(performance.now() - started)} ms: it waited for the grandchild`)
  const grandchild = Number(exit.stdout.trim())
  assert.ok(grandchild > 0)
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.ok(gone(grandchild), 'the grandchild is gone')
  const timedOut = await runPython(executable, ['-c', 'import subprocess, time; p = subprocess.Popen(["sleep", "30"]); print(p.pid, flush=True); time.sleep(30)'], '', { timeoutMs: 300 })
  assert.equal(timedOut.timedOut, true)
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.ok(gone(Number(timedOut.stdout.trim())), 'the timed-out run\'s grandchild is gone')
})

test('a result of the wrong shape is a broken original, said so, not a result', { skip }, async () => {
  const { Type } = await import('typebox')
  const answer = await runOriginal({ ...base, requested: true, signal: new AbortController().signal, resultSchema: Type.Object({ version: Type.Integer() }) })
  assert.equal(answer.ran, false)
  assert.equal(answer.result, undefined)
  assert.match(answer.reason ?? '', /python\/runtime\.py answered a result of the wrong shape: \/version must be integer/)
})
