import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

const TAG_VARIABLE = 'CONCLAB_TEST_PYTHON_TAG'

/**
 * Tags this test process's environment so that every python process it starts from now on — and their own
 * children, which inherit the environment, orphans included (a killed parent's child is no longer our descendant) —
 * can be found in /proc afterwards. Answers a check for the t.after/after hook: it fails naming the python
 * processes still alive (after `graceMs`, for a killed one to be gone). Without /proc (not Linux) it checks nothing.
 */
export function pythonLeakCheck (graceMs = 2000): () => Promise<void> {
  const tag = `${TAG_VARIABLE}=${process.pid}-${randomUUID()}`
  process.env[TAG_VARIABLE] = tag.slice(TAG_VARIABLE.length + 1)
  return async () => {
    const deadline = Date.now() + graceMs
    let left = taggedPythons(tag)
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(50)
      left = taggedPythons(tag)
    }
    assert.deepEqual(left, [], 'python processes started by this test are still alive')
  }
}

/** `pid: command line` of live processes whose environment carries the tag (a zombie has neither: it is gone). */
function taggedPythons (tag: string): string[] {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && name !== String(process.pid))
  } catch {
    return []
  }
  return pids.flatMap((pid) => {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
      if (!/python/.test(command)) return []
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(tag) ? [`${pid}: ${command}`] : []
    } catch {
      return [] // it exited meanwhile, or is not ours to read
    }
  })
}
