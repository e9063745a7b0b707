import { existsSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'

/** One line of /proc/self/cgroup: `hierarchy-id:controllers:path` (v2's single line is `0::/path`). */
export interface CgroupMembership { id: string, controllers: string[], path: string }

export function parseProcCgroup (text: string): CgroupMembership[] {
  const memberships: CgroupMembership[] = []
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim())
    if (match) memberships.push({ id: match[1]!, controllers: match[2] === '' ? [] : match[2]!.split(','), path: match[3]! })
  }
  return memberships
}

/**
 * `/a/b` → `/a/b`, `/a`, `/`: a cgroup and its ancestors, each of which may limit it. A path that climbs out of
 * the namespace's root (`/../x`, a process outside its cgroup namespace) is not ours to follow: only `/`.
 */
function selfAndAncestors (path: string): string[] {
  if (path.split('/').includes('..')) return ['/']
  const normal = posix.normalize(`/${path}`)
  const paths = [normal]
  for (let at = normal; at !== '/'; paths.push(at)) at = posix.dirname(at)
  return paths
}

const readText = (file: string) => { try { return readFileSync(file, 'utf8').trim() } catch { return undefined } }

/** v2 `cpu.max`: "quota period" in µs, or "max period" (unlimited). */
function v2Limit (dir: string): number | null {
  const [quota, period] = readText(join(dir, 'cpu.max'))?.split(/\s+/) ?? []
  if (quota === undefined || quota === 'max' || period === undefined) return null
  const cores = Number(quota) / Number(period)
  return Number.isFinite(cores) && cores > 0 ? cores : null
}

/** v1 CFS bandwidth: `cpu.cfs_quota_us` ÷ `cpu.cfs_period_us`; a quota of -1 is unlimited. */
function v1Limit (dir: string): number | null {
  const quota = Number(readText(join(dir, 'cpu.cfs_quota_us')))
  const period = Number(readText(join(dir, 'cpu.cfs_period_us')))
  return quota > 0 && period > 0 ? quota / period : null
}

/**
 * The CPU quota of this process's own cgroup in cores, or null when unlimited or unknown. A cgroup can use no more
 * than any of its ancestors allows, so every level from it up to the root is read and the smallest limit wins.
 *
 * - v2: `/proc/self/cgroup` line `0::/path` → `/sys/fs/cgroup/<path>/cpu.max` (or under `/sys/fs/cgroup/unified`
 *   on a hybrid host, where the cpu controller usually stays on v1).
 * - v1: the line whose controllers include `cpu` → `/sys/fs/cgroup/<controllers>/<path>/cpu.cfs_quota_us` and
 *   `cpu.cfs_period_us`, also tried under `cpu,cpuacct` and `cpu` (distributions mount it under either name).
 *
 * A container without its own cgroup namespace sees the host's path (`/docker/<id>`) while its mount shows only its
 * own cgroup at the top: levels that do not exist are skipped, so the mount's top is still read.
 * Every path is under `root` (default `/`), so tests can point it at a fixture tree.
 */
export function cgroupCpuQuota (root = '/'): number | null {
  const memberships = parseProcCgroup(readText(join(root, 'proc/self/cgroup')) ?? '')
  const limits: number[] = []
  const collect = (mounts: string[], path: string, limitOf: (dir: string) => number | null) => {
    for (const mount of new Set(mounts)) {
      const base = join(root, 'sys/fs/cgroup', mount)
      if (!existsSync(base)) continue
      for (const level of selfAndAncestors(path)) {
        const limit = limitOf(join(base, level))
        if (limit !== null) limits.push(limit)
      }
    }
  }
  for (const { id, controllers, path } of memberships) {
    if (id === '0' && controllers.length === 0) collect(['', 'unified'], path, v2Limit)
    else if (controllers.includes('cpu')) collect([controllers.join(','), 'cpu,cpuacct', 'cpu'], path, v1Limit)
  }
  return limits.length > 0 ? Math.min(...limits) : null
}
