import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { runOriginal } from '../src/cpython/run-original.js'
import { runPython } from '../src/cpython/python-process.js'
import { PYTHON_FLAGS, pythonDir } from '../src/cpython/python-runtime.js'
import { pythonForTests } from './support/python.js'
import { pythonLeakCheck } from './support/python-leaks.js'

/**
 * Issue 14, item 5: what docs/labs/timers.md says a pending threading.Timer does to the end of a CPython process is
 * what python/timers.py measures here: each row of the docs' table is run and compared.
 */

const { executable, skip } = await pythonForTests()
// Each run starts a child of its own (lab_io.Child): neither may outlive the file's tests.
after(pythonLeakCheck())

interface TimerExit { mode: string, ready: boolean, delayMs: number, count: number, fires: number, firedAtMs: number[], exitMs: number, exitCode: number | null, exitSignal: string | null, killed: boolean }

/** Rows of the CPython table: `| … (`mode`) | <fires> … | <exit> |`. */
function docsRows (): Array<{ mode: string, fires: number, exit: string }> {
  const page = readFileSync(new URL('../docs/labs/timers.md', import.meta.url), 'utf8')
  return page.split('\n').flatMap((line) => {
    const mode = /^\| [^|]*\(`(non-daemon|daemon|re-arming|sigterm)`\)/.exec(line)?.[1]
    if (!mode) return []
    const cells = line.split('|').slice(2, -1).map((cell) => cell.trim())
    return [{ mode, fires: Number(/^\d+/.exec(cells[0] ?? '')?.[0] ?? Number.NaN), exit: cells[1] ?? '' }]
  })
}

test('the docs\' table of threading.Timer at exit has a row for each case', () => {
  assert.deepEqual(docsRows().map((row) => row.mode), ['non-daemon', 'daemon', 're-arming', 'sigterm'])
})

for (const row of docsRows()) {
  test(`CPython, a ${row.mode} Timer at exit: fires and exit as the docs say`, { skip }, async () => {
    const params = { mode: row.mode, delayMs: 300, intervalMs: 100, count: 3 }
    const answer = await runOriginal<TimerExit>({ requested: true, script: 'timers.py', params, executable, timeoutMs: 20_000, signal: new AbortController().signal, what: 'timers at exit' })
    assert.equal(answer.ran, true, answer.reason)
    const result = answer.result!
    assert.equal(result.ready, true)
    assert.equal(result.killed, false, 'the child ended by itself, before the harness\'s deadline')
    assert.equal(result.fires, row.fires, 'fires')
    if (/SIGTERM/.test(row.exit)) assert.equal(result.exitSignal, 'SIGTERM')
    else assert.equal(result.exitCode, 0)
    const lastFire = result.firedAtMs.at(-1)
    if (/^after/.test(row.exit)) {
      // Main returned at once; the process lived on until the timer's (last) fire: the join.
      assert.ok(lastFire !== undefined && result.exitMs >= lastFire - 50, `exit ${result.exitMs} ms, last fire ${lastFire} ms`)
      assert.ok(result.exitMs >= 300 * 0.9)
    } else {
      assert.match(row.exit, /at once/)
      assert.ok(result.exitMs < 300, `it did not wait for the timer: exit ${result.exitMs} ms`)
    }
  })
}

test('lab_io.Child, the harness of timers.py and daemon_exit.py: a child that never answers is killed at the deadline', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'conclab-lab-io-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const script = join(dir, 'stuck.py')
  writeFileSync(script, [
    'import json, sys, time',
    `sys.path.insert(0, ${JSON.stringify(pythonDir())})`,
    'from lab_io import Child, answer',
    'if sys.argv[1:2] == ["--child"]:',
    '    time.sleep(60)  # prints nothing, never exits by itself',
    'else:',
    '    started = time.monotonic()',
    '    with Child(__file__, [], timeout_s=0.5) as child:',
    '        line = child.read_line()',
    '        line_s = time.monotonic() - started',
    '        out, err, status = child.finish()',
    '    answer({"line": line, "lineS": line_s, "totalS": time.monotonic() - started, "killed": child.killed, **status})'
  ].join('\n'))
  const exit = await runPython(executable, [...PYTHON_FLAGS, script], '', { timeoutMs: 10_000 })
  assert.equal(exit.code, 0, exit.stderr)
  const result = JSON.parse(exit.stdout) as { line: string, lineS: number, totalS: number, killed: boolean, exitSignal: string | null }
  assert.equal(result.line, '', 'read_line gave up at the deadline')
  assert.ok(result.lineS >= 0.45 && result.totalS < 5, `read_line after ${result.lineS} s, all after ${result.totalS} s`)
  assert.deepEqual([result.killed, result.exitSignal], [true, 'SIGKILL'])
})
