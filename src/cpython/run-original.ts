import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { LabStopped, withRetryAfter } from '../errors.js'
import type { CpythonAnswer } from './cpython-schema.js'
import { lastLine, runPython } from './python-process.js'
import { PYTHON_FLAGS, findPython, pythonDir } from './python-runtime.js'

export interface OriginalRun {
  /** whether the request asked for it (cpython: true) */
  requested: boolean
  /** the original's file under python/, e.g. race.py */
  script: string
  /** what the script reads on stdin: the lab's own parameters */
  params: unknown
  /** what its result must look like: a script that answers something else is a broken original, not a result */
  resultSchema?: TSchema
  /** PYTHON */
  executable: string
  /** LAB_MAX_MS: the original gets as long as the Node run did */
  timeoutMs: number
  /** the lab run's signal (shutdown): the python process is killed and the run answers 503 LAB_STOPPED */
  signal: AbortSignal
  /** names the run in LAB_STOPPED, like the Node run's */
  what: string
}

/**
 * A lab's Python original, run after its Node run with the same parameters: its result as the answer's `cpython`
 * field, or why there is none. A missing python3, a failing script or one past LAB_MAX_MS does not fail the lab
 * run: the Node numbers stand, and `reason` says what happened.
 */
export async function runOriginal<T> (run: OriginalRun): Promise<CpythonAnswer<T>> {
  if (!run.requested) return { ran: false, reason: 'not requested: set "cpython": true to run the Python original too' }
  const found = await findPython(run.executable)
  if (!found.ok) return { ran: false, reason: found.reason }
  const python = found.runtime
  const script = `python/${run.script}`
  const exit = await runPython(run.executable, [...PYTHON_FLAGS, `${pythonDir()}${run.script}`], JSON.stringify(run.params), { timeoutMs: run.timeoutMs, signal: run.signal })
  if (exit.aborted) throw withRetryAfter(new LabStopped(`${run.what} (its CPython original)`), 5)
  if (exit.timedOut) return { ran: false, python, script, ms: exit.ms, reason: `${script} did not finish within LAB_MAX_MS (${run.timeoutMs} ms); the python process was killed` }
  if (exit.code !== 0) return { ran: false, python, script, ms: exit.ms, reason: `${script} failed (exit ${exit.code ?? 'killed'}): ${lastLine(exit.stderr) || 'no output'}` }
  let result: unknown
  try {
    result = JSON.parse(exit.stdout)
  } catch {
    return { ran: false, python, script, ms: exit.ms, reason: `${script} printed no JSON result: ${exit.stdout.slice(0, 200)}` }
  }
  if (run.resultSchema && !Value.Check(run.resultSchema, result)) {
    const [first] = Value.Errors(run.resultSchema, result)
    return { ran: false, python, script, ms: exit.ms, reason: `${script} answered a result of the wrong shape: ${first ? `${first.instancePath || '/'} ${first.message}` : 'it does not match the lab\'s schema'}` }
  }
  return { ran: true, python, script, ms: exit.ms, result: result as T }
}
