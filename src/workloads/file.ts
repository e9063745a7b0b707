import { mkdtemp, open, readFile, rm, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type, type Static } from 'typebox'
import type { Config } from '../config.js'
import { seededBytes, taskHeader } from './seeded-bytes.js'
import type { TaskContext, TaskResult, Workload } from './workload.js'

/** Prefix of every job's temp directory, so leftovers are easy to find (and tests can check there are none). */
export const FILE_DIR_PREFIX = 'concurrency-lab-'

export function fileParamsSchema (config: Config) {
  return Type.Object({
    bytes: Type.Integer({ minimum: 1, maximum: config.MAX_FILE_BYTES, default: 65_536, description: 'bytes written, read back and verified per task (MAX_FILE_BYTES)' }),
    fsync: Type.Boolean({ default: false, description: 'fsync the file before reading it back' })
  }, { additionalProperties: false })
}

export type FileParams = Static<ReturnType<typeof fileParamsSchema>>

interface FileShared { dir: string }

/** I/O: write a file of seeded data (optionally fsync), read it back, verify it byte for byte, delete it. */
export async function fileTask (params: FileParams, context: TaskContext): Promise<TaskResult> {
  const { dir } = context.shared as FileShared
  const path = join(dir, `task-${context.index}.bin`)
  const header = taskHeader(context.seed, context.index)
  const data = seededBytes(context.seed, params.bytes)
  const handle = await open(path, 'w')
  try {
    await handle.writev([header, data])
    if (params.fsync) await handle.sync()
  } finally {
    await handle.close()
  }
  const back = await readFile(path)
  await unlink(path)
  const intact = back.length === header.length + data.length &&
    back.subarray(0, header.length).equals(header) &&
    back.subarray(header.length).equals(data)
  if (!intact) throw new Error(`file: task ${context.index} read back different bytes than it wrote`)
  return { value: back.length }
}

export const fileWorkload: Workload<FileParams> = {
  name: 'file',
  summary: 'file I/O in a per-job temp directory: write seeded data, optional fsync, read back, verify, delete',
  paramsSchema: fileParamsSchema,
  async prepare (_params, jobId) {
    const dir = await mkdtemp(join(tmpdir(), `${FILE_DIR_PREFIX}${jobId.slice(0, 8)}-`))
    const shared: FileShared = { dir }
    return { shared, cleanup: () => rm(dir, { recursive: true, force: true }) }
  },
  task: fileTask
}
