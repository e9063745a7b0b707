import { Type, type Static, type TSchema } from 'typebox'
import { StringEnum } from '../schema-helpers.js'

/** The CPython a lab's original ran on (python/runtime.py prints it). */
export const PythonRuntimeSchema = Type.Object({
  executable: Type.String({ description: 'sys.executable' }),
  version: Type.String({ description: 'platform.python_version(), e.g. 3.11.2' }),
  implementation: Type.String({ description: 'sys.implementation.name (cpython)' }),
  build: StringEnum(['gil', 'free-threaded'], { description: 'gil: the default build; free-threaded: built with --disable-gil (python3.13t)' }),
  gilEnabled: Type.Boolean({ description: 'whether the GIL is on in this run (sys._is_gil_enabled() on 3.13+, else true)' }),
  compiler: Type.String({ description: 'platform.python_compiler()' }),
  switchIntervalMs: Type.Number({ description: 'sys.getswitchinterval() × 1000' })
})
export type PythonRuntime = Static<typeof PythonRuntimeSchema>

/** The body field that asks for the original. */
export function cpythonRequestSchema () {
  return Type.Boolean({
    default: false,
    description: 'also run the lab\'s Python original (python/, standard library only) on CPython (PYTHON, >= 3.10) after the Node run, with the same parameters; the answer\'s cpython field has its numbers, or why it did not run'
  })
}

/** The answer's `cpython` field: the original's result beside the Node run, or why there is none. */
export function cpythonAnswerSchema<T extends TSchema> (result: T) {
  return Type.Object({
    ran: Type.Boolean({ description: 'true: result holds what CPython measured' }),
    reason: Type.Optional(Type.String({ description: 'when ran is false: not requested, no python3 (or older than 3.10), the script failed, or it passed LAB_MAX_MS' })),
    python: Type.Optional(PythonRuntimeSchema),
    script: Type.Optional(Type.String({ description: 'the original that ran, under python/ in the project' })),
    ms: Type.Optional(Type.Number({ description: 'spawn → exit of the python process, interpreter start-up included' })),
    result: Type.Optional(result)
  }, { description: 'the lab\'s Python original, run on CPython (request with cpython: true; docs/labs/cpython.md)' })
}

type AnswerFields = Static<ReturnType<typeof cpythonAnswerSchema<TSchema>>>
export type CpythonAnswer<T> = Omit<AnswerFields, 'result'> & { result?: T }
