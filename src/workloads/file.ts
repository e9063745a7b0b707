import { mkdtemp, open, readdir, readFile, rm, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FileParams } from './params/file.js'
import type { MemoryContext, MemoryEstimate } from '../jobs/memory-budget.js'
import { seededCopies, seededData, seededShared, taskHeader, type SeededShared } from './seeded-bytes.js'
import type { PrepareContext, PreparedJob, TaskContext, TaskResult } from './workload.js'

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
 * The start of a job's temp directory name: the service's pid, so a later start can tell the directories of a
 * service that is gone (killed before it could clean up) from those of one still running.
 */
export const fileDirPrefix = (jobId: string, pid = process.pid): string => `${FILE_DIR_PREFIX}${pid}-${jobId.slice(0, 8)}-`

/** Each job writes in its own temp directory, removed when the job ends, fails or is cancelled. */
export async function prepareFileJob (params: FileParams, { jobId, seed }: PrepareContext): Promise<PreparedJob> {
  const dir = await mkdtemp(join(tmpdir(), fileDirPrefix(jobId)))
  const shared: FileShared = { dir, data: seededShared(seed, params.bytes) }
  return { shared, cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }) }
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

/**
 * Removes the temp directories of services that are gone (SIGKILL, a crash, a power cut: no cleanup ran), found
 * by the pid in their name; those of a live process, this one included, are left alone. Returns the paths removed.
 */
export async function sweepOrphanedFileDirs (dir = tmpdir()): Promise<string[]> {
  const pattern = new RegExp(`^${FILE_DIR_PREFIX}(\\d+)-`)
  const orphans = (await readdir(dir)).filter((name) => {
    const pid = Number(pattern.exec(name)?.[1] ?? Number.NaN)
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)
  }).map((name) => join(dir, name))
  await Promise.all(orphans.map((path) => rm(path, { recursive: true, force: true, maxRetries: 3 })))
  return orphans
}

/** Its data (as hash's), plus what each task in flight reads back. */
export function fileMemory (params: FileParams, context: MemoryContext, at: string): MemoryEstimate {
  const copies = seededCopies(context) + context.concurrency
  return { bytes: params.bytes * copies, formula: `${at}/bytes × (${seededCopies(context)} data + ${context.concurrency} read back in flight)` }
}
