import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { FILE_DIR_PREFIX } from '../../src/workloads/file.js'
import { childPids } from './app.js'
import { tcpSockets } from './load-proc.js'

/*
 * What a request could leak, counted from the OS for this process (the service runs in the test's process):
 * threads, child processes, the file workload's temp dirs and open file descriptors. Sockets of the net workload's
 * keep-alive agents to the upstream (both ends live in this process) are counted apart: they are pooled by design
 * (the agents keep idle connections until the upstream's 60-s keep-alive timeout closes them).
 */

export interface Census {
  threads: number
  children: number[]
  fileDirs: string[]
  /** every open fd, by kind: 'socket', 'pipe', 'anon_inode:[eventfd]', 'file', … */
  fds: Record<string, number>
  fdTotal: number
  /** the paths of the fds that are files ('… (deleted)' for a file removed while open) */
  files: string[]
  /** socket fds of connections to or from the upstream's port */
  upstreamSockets: number
}

function threadCount (): number {
  const match = /^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return Number(match?.[1] ?? Number.NaN)
}

/** inode → the local and remote ports of each TCP socket of this network namespace. */
const tcpPorts = (): Map<string, [number, number]> => new Map([...tcpSockets()].map(([inode, socket]) => [inode, [socket.localPort, socket.remotePort]]))

export function census (upstreamPort: number): Census {
  const fds: Record<string, number> = {}
  const files: string[] = []
  let upstreamSockets = 0
  const ports = tcpPorts()
  const entries = readdirSync('/proc/self/fd')
  for (const fd of entries) {
    let target: string
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      continue // the directory handle readdir used, closed since
    }
    const socket = /^socket:\[(\d+)\]$/.exec(target)
    const kind = socket ? 'socket' : target.startsWith('pipe:') ? 'pipe' : target.startsWith('anon_inode:') ? target : 'file'
    fds[kind] = (fds[kind] ?? 0) + 1
    if (kind === 'file') files.push(target)
    if (socket && ports.get(socket[1]!)?.includes(upstreamPort)) upstreamSockets++
  }
  const prefix = `${FILE_DIR_PREFIX}${process.pid}-`
  return {
    threads: threadCount(),
    children: childPids(),
    fileDirs: readdirSync(tmpdir()).filter((name) => name.startsWith(prefix)),
    fds,
    fdTotal: Object.values(fds).reduce((sum, count) => sum + count, 0),
    files,
    upstreamSockets
  }
}

/**
 * What `after` holds beyond `before`: threads, children, temp dirs; file descriptors beyond `fdTolerance`, the
 * pooled upstream sockets apart (their number depends on how many net tasks ran at once, not on a leak).
 */
export function leaksBetween (before: Census, after: Census, fdTolerance: number): string[] {
  const found: string[] = []
  if (after.threads > before.threads) found.push(`threads ${before.threads} → ${after.threads}`)
  if (after.children.length > before.children.length) found.push(`child processes [${before.children.join()}] → [${after.children.join()}]`)
  const newDirs = after.fileDirs.filter((dir) => !before.fileDirs.includes(dir))
  if (newDirs.length > 0) found.push(`temp dirs left: ${newDirs.join(', ')}`)
  const own = (count: Census) => count.fdTotal - count.upstreamSockets
  if (own(after) > own(before) + fdTolerance) {
    // Files open now that were not before, with how many fds each: what leaked them shows in the names.
    const extra = new Map<string, number>()
    for (const file of after.files) extra.set(file, (extra.get(file) ?? 0) + 1)
    for (const file of before.files) if (extra.has(file)) extra.set(file, extra.get(file)! - 1)
    const opened = [...extra].filter(([, count]) => count > 0).sort(([, a], [, b]) => b - a).map(([file, count]) => `${file} ×${count}`)
    found.push(`file descriptors ${own(before)} → ${own(after)} beyond ${fdTolerance} (upstream keep-alive sockets apart: ${before.upstreamSockets} → ${after.upstreamSockets}); ` +
      `by kind ${JSON.stringify(before.fds)} → ${JSON.stringify(after.fds)}${opened.length > 0 ? `; files open now that were not before: ${opened.join(', ')}` : ''}`)
  }
  return found
}
