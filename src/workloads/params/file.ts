import { Type, type Static } from 'typebox'
import type { Config } from '../../config.js'

export function fileParamsSchema (config: Config) {
  return Type.Object({
    bytes: Type.Integer({ minimum: 1, maximum: config.MAX_FILE_BYTES, default: Math.min(65_536, config.MAX_FILE_BYTES), description: 'bytes written, read back and verified per task (MAX_FILE_BYTES)' }),
    fsync: Type.Boolean({ default: false, description: 'fsync the file before reading it back' })
  }, { additionalProperties: false })
}

export type FileParams = Static<ReturnType<typeof fileParamsSchema>>
