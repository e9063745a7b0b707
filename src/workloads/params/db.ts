import { Type, type Static } from 'typebox'
import type { Config } from '../../config.js'
import { StringEnum } from '../../schema-helpers.js'
import type { ParamsCheckContext } from '../workload.js'
import { DEFAULT_DB_LATENCY_MS } from '../db-defaults.js'

export function dbParamsSchema (config: Config) {
  const ms = (description: string) => Type.Number({ minimum: 0, maximum: config.MAX_LATENCY_MS, description })
  return Type.Object({
    latencyMs: Type.Optional(ms(`fixed query latency (MAX_LATENCY_MS); default ${DEFAULT_DB_LATENCY_MS} when no p50Ms/p99Ms`)),
    p50Ms: Type.Optional(ms('median of a log-normal latency, seeded (with p99Ms)')),
    p99Ms: Type.Optional(ms('99th percentile of the log-normal latency (with p50Ms)')),
    driver: StringEnum(['async', 'blocking'], {
      default: 'async',
      description: 'async: waits without blocking its thread; blocking: blocks its thread (Atomics.wait), like a synchronous driver'
    }),
    connections: Type.Optional(Type.Integer({
      minimum: 1,
      maximum: config.MAX_DB_CONNECTIONS,
      description: 'connection pool size: at most this many queries at once, the rest wait (MAX_DB_CONNECTIONS); default unlimited'
    })),
    errorRate: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'seeded share of queries that fail' })
  }, { additionalProperties: false })
}

export type DbParams = Static<ReturnType<typeof dbParamsSchema>>

/** Rules across fields: one latency model, p50Ms with p99Ms, p99Ms ≥ p50Ms; the blocking driver where the mode allows it. */
export function checkDbParams (params: DbParams, at: string, { mode }: ParamsCheckContext): string | undefined {
  const { latencyMs, p50Ms, p99Ms } = params
  if (params.driver === 'blocking' && !mode.allowsBlockingDriver) {
    return `${at}/driver 'blocking' is not allowed in mode ${mode.name} (it would block its thread); use driver 'async'`
  }
  if (latencyMs !== undefined && (p50Ms !== undefined || p99Ms !== undefined)) {
    return `${at}: give either ${at}/latencyMs or ${at}/p50Ms with ${at}/p99Ms, not both`
  }
  if ((p50Ms === undefined) !== (p99Ms === undefined)) {
    return `${at}/p50Ms and ${at}/p99Ms must be given together`
  }
  if (p50Ms !== undefined && p99Ms !== undefined && (p99Ms < p50Ms || p50Ms === 0)) {
    return `${at}/p50Ms must be > 0 and ${at}/p99Ms must be >= ${at}/p50Ms (${p50Ms})`
  }
  return undefined
}
