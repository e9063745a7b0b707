/**
 * Load generator and server on separate cores (PITFALLS: autocannon is single-threaded and shares the cores with
 * the server). Where the scheduler puts them otherwise changes req/s by up to 2× from run to run on a 2-core VM.
 */
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

function tasksetWorks (): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export interface Pinning {
  /** the CPUs for the server (`taskset -c`), or undefined when pinning is not possible */
  serverCpus: string | undefined
  /** undo: this process may run on every CPU again */
  release: () => void
  description: string
}

/** Pins this process (every thread of it) to the last CPU and hands CPU 0 to the server. */
export function pinLoadAwayFromServer (): Pinning {
  const cores = availableParallelism()
  if (cores < 2 || !tasksetWorks()) return { serverCpus: undefined, release: () => {}, description: 'not pinned (one core or no taskset)' }
  const pin = (cpus: string) => execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' })
  pin(String(cores - 1))
  return {
    serverCpus: '0',
    release: () => pin(`0-${cores - 1}`),
    description: `server on CPU 0, autocannon on CPU ${cores - 1}`
  }
}
