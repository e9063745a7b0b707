import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { existsSync } from 'node:fs'
import { after, test } from 'node:test'
import { runOriginal } from '../src/cpython/run-original.js'
import { pythonForTests } from './support/python.js'
import { pythonLeakCheck } from './support/python-leaks.js'

/**
 * Issue 14, item 5: what docs/labs/gil.md says CPython does with its threads at exit, per signal, is what
 * python/daemon_exit.py measures on the CPython here: each row of the docs' table is run and compared cell by cell.
 */

const { executable, skip } = await pythonForTests()
// Each run starts a child of its own (lab_io.Child): neither may outlive the file's tests.
after(pythonLeakCheck())

interface ExitAnswer {
  mode: string
  ready: boolean
  nonDaemonMs: number
  exitMs: number
  exitCode: number | null
  exitSignal: string | null
  killed: boolean
  base: string
  daemonFinallyRan: boolean
  nonDaemonFinallyRan: boolean
  atexitRan: boolean
  daemonDirLeft: Array<{ name: string, files: string[] }>
  temporaryDirectoryLeft: Array<{ name: string, files: string[] }>
}

interface DocsRow { mode: string, daemonFinally: boolean, nonDaemonFinally: boolean, atexit: boolean, temporaryDirectoryLeft: boolean, exit: string }

/** The rows of the CPython table in the daemon section: `| … (`mode`) | runs/does not run … | … |`. */
function docsRows (): DocsRow[] {
  const page = readFileSync(new URL('../docs/labs/gil.md', import.meta.url), 'utf8')
  const section = page.slice(page.indexOf('## Daemon and non-daemon jobs'))
  const ran = (cell: string) => {
    if (/^(runs|joined)/.test(cell)) return true
    if (/^(does not run|not joined|killed)/.test(cell)) return false
    throw new Error(`docs/labs/gil.md: a cell of the CPython exit table says neither runs nor does not run: ${cell}`)
  }
  return section.split('\n').flatMap((line) => {
    const mode = /^\| [^|]*\(`(normal|sigint|sigint-twice|sigterm)`\)/.exec(line)?.[1]
    if (!mode) return []
    const cells = line.split('|').slice(2, -1).map((cell) => cell.trim())
    assert.equal(cells.length, 5, `a row of 6 columns: ${line}`)
    return [{ mode, daemonFinally: ran(cells[0]!), nonDaemonFinally: ran(cells[1]!), atexit: ran(cells[2]!), temporaryDirectoryLeft: /^left/.test(cells[3]!), exit: cells[4]! }]
  })
}

test('the docs\' table of CPython\'s exit per signal has a row for each way to end', () => {
  assert.deepEqual(docsRows().map((row) => row.mode), ['normal', 'sigint', 'sigint-twice', 'sigterm'])
})

for (const row of docsRows()) {
  test(`CPython, ${row.mode}: daemon finally, non-daemon finally, atexit and the TemporaryDirectory as the docs say`, { skip }, async () => {
    const nonDaemonMs = 1500
    const answer = await runOriginal<ExitAnswer>({
      requested: true, script: 'daemon_exit.py', params: { mode: row.mode, nonDaemonMs }, executable, timeoutMs: 20_000, signal: new AbortController().signal, what: 'daemon exit'
    })
    assert.equal(answer.ran, true, answer.reason)
    const result = answer.result!
    assert.equal(result.ready, true)
    assert.equal(result.killed, false, 'the child ended by itself, before the harness\'s deadline')
    assert.equal(existsSync(result.base), false, `the script removed its temp dir ${result.base}`)
    assert.equal(result.daemonFinallyRan, row.daemonFinally, 'the daemon thread\'s finally')
    assert.equal(result.nonDaemonFinallyRan, row.nonDaemonFinally, 'the non-daemon thread\'s finally')
    assert.equal(result.atexitRan, row.atexit, 'atexit')
    assert.equal(result.temporaryDirectoryLeft.length > 0, row.temporaryDirectoryLeft, 'the daemon thread\'s TemporaryDirectory')
    // Whatever the way, a daemon thread's mkdtemp() dir stays with what it wrote: its finally never ran.
    assert.deepEqual(result.daemonDirLeft.map((dir) => dir.files), [['task-0.bin']])
    // The exit column: its signal, and whether it waited for the non-daemon thread (joined: no bound) or not.
    const exitSignal = /SIGINT|SIGTERM/.exec(row.exit)?.[0] ?? null
    assert.equal(result.exitSignal, exitSignal, `exit: ${row.exit}`)
    if (exitSignal === null) assert.equal(result.exitCode, 0)
    if (row.nonDaemonFinally) {
      assert.match(row.exit, /after the non-daemon thread/)
      assert.ok(result.exitMs > nonDaemonMs / 2, `it waited for the non-daemon thread: exit ${result.exitMs} ms after the signal`)
    } else {
      assert.match(row.exit, /at once/)
      assert.ok(result.exitMs < nonDaemonMs / 2, `it did not wait for the non-daemon thread: exit ${result.exitMs} ms after the signal`)
    }
  })
}
