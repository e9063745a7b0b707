import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** A kernel CPU list ("0-3,5", "7", "") as core numbers in ascending order; null when it is not one. */
export function parseCpuList (text: string): number[] | null {
  const cores = new Set<number>()
  const trimmed = text.trim()
  if (trimmed === '') return []
  for (const part of trimmed.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (!match) return null
    const first = Number(match[1])
    const last = match[2] === undefined ? first : Number(match[2])
    if (last < first) return null
    for (let core = first; core <= last; core++) cores.add(core)
  }
  return [...cores].sort((a, b) => a - b)
}

/**
 * The cores this process may run on (its affinity, what sched_getaffinity returns): `Cpus_allowed_list` of
 * `<root>/proc/self/status`. It already reflects the cgroup's cpuset (the kernel narrows a task's affinity to it),
 * and threads and child processes inherit it. Null where there is no such file (not Linux): then every core.
 */
export function allowedCores (root = '/'): number[] | null {
  try {
    const status = readFileSync(join(root, 'proc/self/status'), 'utf8')
    const line = /^Cpus_allowed_list:\s*(.*)$/m.exec(status)
    const cores = line ? parseCpuList(line[1]!) : null
    return cores && cores.length > 0 ? cores : null
  } catch {
    return null
  }
}
