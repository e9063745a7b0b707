import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { PythonRuntime } from './cpython-schema.js'
import { lastLine, runPython } from './python-process.js'

/** The oldest CPython the originals are written for: 3.10 changed where the eval loop may switch threads. */
export const MIN_PYTHON = [3, 10] as const

/** python/ of the project, found upward from this module (src/cpython/ under tsx, dist/src/cpython/ after the build). */
export function pythonDir (): string {
  for (const up of ['../../python/', '../../../python/']) {
    const dir = new URL(up, import.meta.url)
    if (existsSync(new URL('lab_io.py', dir))) return fileURLToPath(dir)
  }
  throw new Error('python/ (the labs\' CPython originals) is missing from the installation')
}

/** -E: no PYTHON* variables; -s: no user site-packages; -B: writes no .pyc (the image's root is read-only). */
export const PYTHON_FLAGS = ['-E', '-s', '-B']

export type PythonLookup = { ok: true, runtime: PythonRuntime } | { ok: false, reason: string }

/** A found CPython is kept for the life of the service; a missing one is asked again after this long. */
const RETRY_MISSING_MS = 10_000
const lookups = new Map<string, { at: number, lookup: Promise<PythonLookup> }>()

/** Which CPython `executable` (PYTHON) is, or why it cannot run the originals. */
export function findPython (executable: string): Promise<PythonLookup> {
  const cached = lookups.get(executable)
  if (cached && performance.now() - cached.at < RETRY_MISSING_MS) return cached.lookup
  const lookup = probe(executable)
  lookups.set(executable, { at: performance.now(), lookup })
  lookup.then((found) => { if (found.ok) lookups.set(executable, { at: Infinity, lookup }) }, () => {})
  return lookup
}

async function probe (executable: string): Promise<PythonLookup> {
  const exit = await runPython(executable, [...PYTHON_FLAGS, `${pythonDir()}runtime.py`], '', { timeoutMs: 10_000 })
  if (exit.spawnError === 'ENOENT') return { ok: false, reason: `no ${executable} on this machine (PYTHON=${executable}): install python3 >= ${MIN_PYTHON.join('.')} (apt-get install python3) or set PYTHON` }
  if (exit.spawnError) return { ok: false, reason: `${executable} could not be started: ${exit.spawnError}` }
  if (exit.code !== 0) return { ok: false, reason: `${executable} python/runtime.py failed (exit ${exit.code ?? 'killed'}): ${lastLine(exit.stderr) || 'no output'}` }
  let runtime: PythonRuntime
  try {
    runtime = JSON.parse(exit.stdout)
  } catch {
    return { ok: false, reason: `${executable} is not a CPython the labs can use: python/runtime.py printed no JSON` }
  }
  const [major = 0, minor = 0] = runtime.version.split('.').map(Number)
  if (runtime.implementation !== 'cpython') return { ok: false, reason: `${executable} is ${runtime.implementation} ${runtime.version}, not CPython` }
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    return { ok: false, reason: `${executable} is CPython ${runtime.version}; the labs' originals need >= ${MIN_PYTHON.join('.')} (where the eval loop switches threads changed in 3.10)` }
  }
  return { ok: true, runtime }
}
