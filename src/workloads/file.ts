import { readFileSync } from 'node:fs'
import { mkdtemp, open, readdir, readFile, rm, stat, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FileParams } from './params/file.js'
import type { MemoryContext, MemoryEstimate } from '../jobs/memory-budget.js'
import { seededCopies, seededData, seededShared, taskHeader, type SeededShared } from './seeded-bytes.js'
import type { LeftBehind, PrepareContext, PreparedJob, TaskContext, TaskResult } from './workload.js'

/** Prefix of every job's temp directory, so leftovers are easy to find (and tests can check there are none). */
export const FILE_DIR_PREFIX = 'concurrency-lab-'

interface FileShared extends SeededShared { dir: string }

/** I/O: write a file of seeded data (optionally fsync), read it back, verify it byte for byte, delete it. */
export async function fileTask (params: FileParams, context: TaskContext): Promise<TaskResult> {
  const { dir } = context.shared as FileShared
  const path = join(dir, `task-${context.index}.bin`)
  const header = taskHeader(context.seed, context.index)
  const data = seededData(context.shared, context.seed, params.bytes)
  // File I/O runs without the GIL; comparing the bytes read back is CPU work and holds it.
  const back = await context.gil.io(async () => {
    const handle = await open(path, 'w')
    try {
      await handle.writev([header, data])
      if (params.fsync) await handle.sync()
    } finally {
      await handle.close()
    }
    const read = await readFile(path)
    await unlink(path)
    return read
  })
  const intact = back.length === header.length + data.length &&
    back.subarray(0, header.length).equals(header) &&
    back.subarray(header.length).equals(data)
  if (!intact) throw new Error(`file: task ${context.index} read back different bytes than it wrote`)
  return { value: back.length }
}

/**
 * When a process started (clock ticks since boot, /proc/<pid>/stat field 22), or undefined off Linux or when it is
 * gone. With the pid it names one process for good: a pid is reused, and in a container a restarted service can
 * get the same low pid as the one before it while an emptyDir /tmp keeps that one's directories.
 */
export function processStartTicks (pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 2 (the command) is in parentheses and may hold spaces: count from the last ')' (field 3 is next).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

const OWN_START = processStartTicks(process.pid) ?? '0'

/**
 * The start of a job's temp directory name: the service's pid and start time, so a later start can tell the
 * directories of a service that is gone (killed, or a daemon job it abandoned) from those of one still running.
 */
export const fileDirPrefix = (jobId: string, pid = process.pid, started = OWN_START): string => `${FILE_DIR_PREFIX}${pid}-s${started}-${jobId.slice(0, 8)}-`

/** What a directory holds now (a daemon job abandoned at shutdown leaves it so). */
async function contentsOf (dir: string): Promise<LeftBehind> {
  const names = await readdir(dir).catch(() => [])
  const sizes = await Promise.all(names.map(async (name) => (await stat(join(dir, name)).catch(() => undefined))?.size ?? 0))
  return { path: dir, files: names.length, bytes: sizes.reduce((a, b) => a + b, 0) }
}

/**
 * Each job writes in its own temp directory, removed when the job ends, fails or is cancelled — except when a daemon
 * job is abandoned at shutdown: then, as a Python daemon thread's `finally` at exit, the removal does not run and
 * `leftBehind` says what stays (the next start's sweep removes it).
 */
export async function prepareFileJob (params: FileParams, { jobId, seed }: PrepareContext): Promise<PreparedJob> {
  const dir = await mkdtemp(join(tmpdir(), fileDirPrefix(jobId)))
  const shared: FileShared = { dir, data: seededShared(seed, params.bytes) }
  return { shared, cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }), leftBehind: () => contentsOf(dir) }
}

function processAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, under another user
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether the process that made a directory named with (pid, start) is gone: not alive, or its pid now another's. */
function makerGone (pid: number, started: string | undefined): boolean {
  if (!processAlive(pid)) return true
  if (started === undefined || started === '0') return false // no start time to tell a reused pid by: keep it
  const now = processStartTicks(pid)
  return now !== undefined && now !== started
}

/**
 * Removes the temp directories of services that are gone (SIGKILL, a crash, a power cut, a daemon job abandoned at
 * shutdown: no cleanup ran), found by the pid and start time in their name; those of a live process, this one
 * included, are left alone. Returns the paths removed.
 */
export async function sweepOrphanedFileDirs (dir = tmpdir()): Promise<string[]> {
  const pattern = new RegExp(`^${FILE_DIR_PREFIX}(\\d+)-(?:s(\\d+)-)?`)
  const orphans = (await readdir(dir)).filter((name) => {
    const match = pattern.exec(name)
    const pid = Number(match?.[1] ?? Number.NaN)
    return Number.isInteger(pid) && pid > 0 && !(pid === process.pid && match?.[2] === OWN_START) && makerGone(pid, match?.[2])
  }).map((name) => join(dir, name))
  await Promise.all(orphans.map((path) => rm(path, { recursive: true, force: true, maxRetries: 3 })))
  return orphans
}

/** Its data (as hash's), plus what each task in flight reads back. */
export function fileMemory (params: FileParams, context: MemoryContext, at: string): MemoryEstimate {
  const copies = seededCopies(context) + context.concurrency
  return { bytes: params.bytes * copies, formula: `${at}/bytes × (${seededCopies(context)} data + ${context.concurrency} read back in flight)` }
}
