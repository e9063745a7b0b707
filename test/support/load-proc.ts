import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/*
 * What the load tests read about the service from the OS, not from the service: its resident memory, its open file
 * descriptors and its child processes, all from /proc (Linux only, as the rest of the system tests).
 */

export interface ProcessStat { pid: number, state: string, ppid: number, cpuTicks: number, startTime: string }

/** /proc/<pid>/stat, or undefined once the process is gone (comm may hold spaces and parentheses: split after the last ')'). */
export function statOf (pid: number): ProcessStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { pid, state: fields[0]!, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]), startTime: fields[19]! }
}

export function cmdlineOf (pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
  } catch {
    return ''
  }
}

/** Every process whose parent is one of `ppids`, from one scan of /proc. */
export function childrenOf (ppids: ReadonlySet<number>): ProcessStat[] {
  const found: ProcessStat[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = statOf(Number(name))
    if (stat && ppids.has(stat.ppid)) found.push(stat)
  }
  return found
}

/**
 * Still running: its /proc entry is there, is the same process (start time: not a reused pid) and is not a zombie
 * (a dead child its new parent has not reaped yet runs nothing).
 */
export function running (process: ProcessStat): boolean {
  const now = statOf(process.pid)
  return now !== undefined && now.startTime === process.startTime && now.state !== 'Z'
}

/** VmRSS of /proc/<pid>/status in bytes (every thread of the process; not its children), or undefined once it is gone. */
export function rssBytes (pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** Threads: of /proc/<pid>/status, or undefined once the process is gone. */
export function threadCount (pid: number): number | undefined {
  try {
    const match = /^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) : undefined
  } catch {
    return undefined
  }
}

/** Open file descriptors of the process (entries of /proc/<pid>/fd), or undefined once it is gone. */
export function fdCount (pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length
  } catch {
    return undefined
  }
}

export interface TcpSocket { localPort: number, remotePort: number, listening: boolean }

/** inode → the ports and state of each TCP socket of this network namespace (/proc/net/tcp and tcp6). */
export function tcpSockets (): Map<string, TcpSocket> {
  const sockets = new Map<string, TcpSocket>()
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields.length < 10) continue
      const port = (address: string) => Number.parseInt(address.split(':').at(-1) ?? '', 16)
      sockets.set(fields[9]!, { localPort: port(fields[1]!), remotePort: port(fields[2]!), listening: fields[3] === '0A' })
    }
  }
  return sockets
}

export interface FdCensus {
  total: number
  /** TCP sockets between the service and the net workload's upstream, which runs inside it (both ends are its fds) */
  upstreamSockets: number
  /** every other socket: listeners, clients' connections */
  otherSockets: number
  /** pipes, files, eventfds, epoll: what threads, children and the file workload open */
  nonSockets: number
  /** the non-socket fds by kind: 'pipe', 'anon_inode:[eventfd]', 'anon_inode:[eventpoll]', a file's path… */
  kinds: Record<string, number>
}

/**
 * The open fds of a process by kind. The net workload's keep-alive agents keep idle connections to the upstream
 * (its own thread, listening on a port of its own: every listener but `servicePort`) until the upstream's
 * keep-alive timeout: pooled by design, so counted apart.
 */
export function fdCensus (pid: number, servicePort: number): FdCensus | undefined {
  let entries: string[]
  try {
    entries = readdirSync(`/proc/${pid}/fd`)
  } catch {
    return undefined
  }
  const tcp = tcpSockets()
  const links: string[] = []
  for (const fd of entries) {
    try {
      links.push(readlinkSync(`/proc/${pid}/fd/${fd}`))
    } catch {} // closed since the listing
  }
  const inodes = links.map((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1])
  const upstreamPorts = new Set<number>()
  for (const inode of inodes) {
    const socket = inode === undefined ? undefined : tcp.get(inode)
    if (socket?.listening && socket.localPort !== servicePort) upstreamPorts.add(socket.localPort)
  }
  const census: FdCensus = { total: links.length, upstreamSockets: 0, otherSockets: 0, nonSockets: 0, kinds: {} }
  for (const [i, inode] of inodes.entries()) {
    if (inode === undefined) {
      census.nonSockets++
      const kind = links[i]!.replace(/^(pipe):\[\d+\]$/, '$1')
      census.kinds[kind] = (census.kinds[kind] ?? 0) + 1
      continue
    }
    const socket = tcp.get(inode)
    if (socket && !socket.listening && (upstreamPorts.has(socket.localPort) || upstreamPorts.has(socket.remotePort))) census.upstreamSockets++
    else census.otherSockets++
  }
  return census
}
