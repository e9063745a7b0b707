import { Type, type Static } from 'typebox'
import type { Config } from '../config.js'

/**
 * The latency upstream's behaviour, shared by `GET /sim/delay` and the upstream thread the net workload calls, so
 * both answer the same way: wait `ms` ± `jitterMs` (uniform), then answer `status` with `bytes` bytes.
 */
export function simDelayQuerySchema (config: Pick<Config, 'SIM_MAX_DELAY_MS' | 'SIM_MAX_BYTES'>) {
  return Type.Object({
    ms: Type.Integer({ minimum: 0, maximum: config.SIM_MAX_DELAY_MS, default: 0, description: 'delay before the answer (SIM_MAX_DELAY_MS)' }),
    jitterMs: Type.Integer({ minimum: 0, maximum: config.SIM_MAX_DELAY_MS, default: 0, description: 'uniform jitter: the delay is ms ± jitterMs, never below 0 (SIM_MAX_DELAY_MS)' }),
    status: Type.Integer({ minimum: 200, maximum: 599, default: 200, description: 'HTTP status of the answer' }),
    bytes: Type.Integer({ minimum: 0, maximum: config.SIM_MAX_BYTES, default: 0, description: 'size of the answer body (SIM_MAX_BYTES)' })
  }, { additionalProperties: false })
}

export type SimDelayQuery = Static<ReturnType<typeof simDelayQuerySchema>>

/** A message naming the fields when ms + jitterMs is over the limit (a schema cannot add two fields). */
export function checkSimDelay (query: SimDelayQuery, maxDelayMs: number): string | undefined {
  return query.ms + query.jitterMs > maxDelayMs
    ? `querystring/ms + querystring/jitterMs must be <= ${maxDelayMs} (SIM_MAX_DELAY_MS)`
    : undefined
}

export function simDelayMs (query: SimDelayQuery): number {
  if (query.jitterMs === 0) return query.ms
  return Math.max(0, query.ms + (Math.random() * 2 - 1) * query.jitterMs)
}

let filler = Buffer.alloc(0)

/** `bytes` bytes of body; one buffer is reused so large answers do not allocate per request. */
export function simBody (bytes: number): Buffer {
  if (filler.length < bytes) filler = Buffer.alloc(bytes, 'x')
  return filler.subarray(0, bytes)
}
