import { execFileSync } from 'node:child_process'

/**
 * Whether an external program is on PATH. A test that needs one may skip on a laptop, but `.ci/run` sets
 * CONCLAB_REQUIRE_EXTERNAL=1, which turns the skip into a failure.
 */
export function external (program: string): { available: boolean, skip: string | false } {
  let available = true
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' })
  } catch {
    available = false
  }
  if (!available && process.env.CONCLAB_REQUIRE_EXTERNAL === '1') {
    throw new Error(`${program} is required (CONCLAB_REQUIRE_EXTERNAL=1) but not installed; .ci/run installs it`)
  }
  return { available, skip: available ? false : `${program} is not installed (apt-get install ${program === 'promtool' ? 'prometheus' : program})` }
}
