import { Type, type Static } from 'typebox'
import type { Config } from '../../config.js'

export function netParamsSchema (config: Config) {
  return Type.Object({
    latencyMs: Type.Integer({
      minimum: 0,
      maximum: Math.min(config.MAX_LATENCY_MS, config.SIM_MAX_DELAY_MS),
      default: Math.min(10, config.MAX_LATENCY_MS, config.SIM_MAX_DELAY_MS),
      description: 'upstream delay per request (MAX_LATENCY_MS, SIM_MAX_DELAY_MS)'
    }),
    bytes: Type.Integer({ minimum: 0, maximum: config.SIM_MAX_BYTES, default: Math.min(1024, config.SIM_MAX_BYTES), description: 'response body size (SIM_MAX_BYTES)' })
  }, { additionalProperties: false })
}

export type NetParams = Static<ReturnType<typeof netParamsSchema>>
