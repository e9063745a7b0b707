import { Type, type Static } from 'typebox'
import type { Config } from '../../config.js'
import type { ParamsCheckContext } from '../workload.js'

export function fileParamsSchema (config: Config) {
  return Type.Object({
    bytes: Type.Integer({ minimum: 1, maximum: config.MAX_FILE_BYTES, default: Math.min(65_536, config.MAX_FILE_BYTES), description: 'bytes written, read back and verified per task (MAX_FILE_BYTES)' }),
    fsync: Type.Boolean({ default: false, description: 'fsync the file before reading it back' })
  }, { additionalProperties: false })
}

export type FileParams = Static<ReturnType<typeof fileParamsSchema>>

/** Each task in flight holds its data and what it read back: bytes × concurrency is bounded, so no in-range job exhausts memory. */
export function checkFileParams (params: FileParams, at: string, { config, concurrency }: ParamsCheckContext): string | undefined {
  const inFlight = params.bytes * concurrency
  return inFlight > config.MAX_FILE_INFLIGHT_BYTES
    ? `${at}/bytes × concurrency must be <= ${config.MAX_FILE_INFLIGHT_BYTES} (MAX_FILE_INFLIGHT_BYTES); got ${inFlight}`
    : undefined
}
