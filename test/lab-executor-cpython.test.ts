/**
 * The executor lab beside its Python original (python/executor.py, concurrent.futures.ThreadPoolExecutor): the
 * same tasks give the same orders in CPython, and its forgotten exceptions are lost in silence — all of them.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CpythonExecutorReport } from '../src/labs/executor-schema.js'
import { buildTestApp } from './support/app.js'
import { pythonForTests } from './support/python.js'

const { skip } = await pythonForTests()

type StyleReport = CpythonExecutorReport['styles'][number]

/** Task 0 the slowest, the others ending 40 ms apart or more on 4 threads (see lab-executor.test.ts). */
const DURATIONS = [600, 80, 240, 160, 400, 40, 120, 200]
const COMPLETION_ORDER = [1, 3, 5, 2, 6, 7, 4, 0]

test('CPython collects the same tasks in the same orders, and loses every exception nobody asks for, saying nothing', { skip }, async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'POST', url: '/labs/executor', payload: { workers: 4, durationsMs: DURATIONS, failEvery: 4, cpython: true } })
  assert.equal(response.statusCode, 200, response.body)
  const node: { styles: StyleReport[], cpython: { ran: boolean, reason?: string, script?: string, result?: CpythonExecutorReport } } = response.json()
  assert.equal(node.cpython.ran, true, node.cpython.reason)
  assert.equal(node.cpython.script, 'python/executor.py')
  const python = node.cpython.result!
  assert.deepEqual({ workers: python.workers, tasks: python.tasks, durationsMs: python.durationsMs, failing: python.failing }, { workers: 4, tasks: 8, durationsMs: DURATIONS, failing: [3, 7] })
  const style = (answer: { styles: StyleReport[] }, name: string) => answer.styles.find((report) => report.style === name)!

  for (const name of ['map', 'as-completed', 'fire-and-forget']) {
    assert.deepEqual(style(python, name).order, style(node, name).order, `${name}: the same order in both`)
    assert.deepEqual(style(python, name).exceptionsSeen, style(node, name).exceptionsSeen, `${name}: as many exceptions seen`)
  }
  const map = style(python, 'map')
  assert.deepEqual(map.order, [0, 1, 2, 3])
  assert.ok(map.firstResultMs! >= DURATIONS[0]!, `map's first result after ${map.firstResultMs} ms`)
  const asCompleted = style(python, 'as-completed')
  assert.deepEqual(asCompleted.order, COMPLETION_ORDER)
  assert.ok(asCompleted.firstResultMs! >= 80 && asCompleted.firstResultMs! < map.firstResultMs! / 2, `as-completed's first after ${asCompleted.firstResultMs} ms`)
  assert.equal(asCompleted.exceptionsSeen, 2)

  const forgotten = style(python, 'fire-and-forget')
  assert.deepEqual({ raised: forgotten.exceptionsRaised, seen: forgotten.exceptionsSeen, lost: forgotten.exceptionsLost, run: forgotten.tasksRun },
    { raised: 2, seen: 0, lost: 2, run: 8 }, 'Python\'s lost exceptions = raised')
  assert.equal(forgotten.reportedByRuntime, 0, 'CPython printed nothing about them')
  assert.equal(style(node, 'fire-and-forget').reportedByRuntime, 2, 'where Node reported each one')
  // Threads overlap despite the GIL (time.sleep releases it): the pool's makespan, not the sum of the sleeps.
  assert.ok(forgotten.drainedMs < DURATIONS.reduce((sum, ms) => sum + ms, 0) / 2, `drained after ${forgotten.drainedMs} ms`)
})

test('map in CPython cancels the tasks not yet started when its loop ends with an exception; Node runs them all', { skip }, async (t) => {
  const app = await buildTestApp(t)
  // Task 1 fails at once; six long tasks are still queued behind the two threads when map reaches it.
  const response = await app.inject({ method: 'POST', url: '/labs/executor', payload: { workers: 2, durationsMs: [10, 10, 200, 200, 200, 200, 200, 200], failEvery: 2, styles: ['map'], cpython: true } })
  assert.equal(response.statusCode, 200, response.body)
  const node = response.json()
  const python: StyleReport = node.cpython.result.styles[0]
  const nodeMap: StyleReport = node.styles[0]
  assert.deepEqual(python.order, [0, 1])
  assert.deepEqual(nodeMap.order, [0, 1])
  assert.ok(python.cancelled >= 4, `CPython cancelled ${python.cancelled} tasks`)
  assert.equal(python.tasksRun + python.cancelled, 8)
  assert.equal(nodeMap.cancelled, 0, 'a promise cannot be cancelled')
  assert.equal(nodeMap.tasksRun, 8)
  assert.ok(python.drainedMs < nodeMap.drainedMs, `CPython drained after ${python.drainedMs} ms, Node after ${nodeMap.drainedMs} ms`)
})
