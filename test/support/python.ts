import { findPython } from '../../src/cpython/python-runtime.js'

/**
 * Whether the CPython the labs' originals run on (python3 >= 3.10, or $PYTHON) is here. A test that needs it may
 * skip on a laptop; under CONCLAB_REQUIRE_EXTERNAL=1 (.ci/run, which installs Debian's python3) it fails instead.
 */
export async function pythonForTests (): Promise<{ executable: string, skip: string | false }> {
  const executable = process.env.PYTHON ?? 'python3'
  const found = await findPython(executable)
  if (!found.ok && process.env.CONCLAB_REQUIRE_EXTERNAL === '1') {
    throw new Error(`CPython is required (CONCLAB_REQUIRE_EXTERNAL=1): ${found.reason}; .ci/run installs Debian's python3`)
  }
  return { executable, skip: found.ok ? false : found.reason }
}
