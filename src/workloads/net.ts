import http from 'node:http'
import https from 'node:https'
import { Type, type Static } from 'typebox'
import type { Config } from '../config.js'
import type { TaskContext, TaskResult, Workload } from './workload.js'

export function netParamsSchema (config: Config) {
  return Type.Object({
    latencyMs: Type.Integer({
      minimum: 0,
      maximum: Math.min(config.MAX_LATENCY_MS, config.SIM_MAX_DELAY_MS),
      default: 10,
      description: 'upstream delay per request (MAX_LATENCY_MS, SIM_MAX_DELAY_MS)'
    }),
    bytes: Type.Integer({ minimum: 0, maximum: config.SIM_MAX_BYTES, default: 1024, description: 'response body size (SIM_MAX_BYTES)' })
  }, { additionalProperties: false })
}

export type NetParams = Static<ReturnType<typeof netParamsSchema>>

// One keep-alive agent per thread or process: connections are reused across tasks, as a real client does.
const agentOptions = { keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 }
const httpAgent = new http.Agent(agentOptions)
const httpsAgent = new https.Agent(agentOptions)

/** I/O-bound: one real HTTP round trip over loopback to the latency upstream; checks status and body size. */
export function netTask (params: NetParams, context: TaskContext): Promise<TaskResult> {
  const url = `${context.upstreamUrl}/sim/delay?ms=${params.latencyMs}&bytes=${params.bytes}`
  const secure = url.startsWith('https:')
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).get(url, { agent: secure ? httpsAgent : httpAgent }, (response) => {
      let received = 0
      response.on('data', (chunk: Buffer) => { received += chunk.length })
      response.on('error', (error) => reject(new Error(`net: ${error.message}`)))
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`net: upstream answered ${response.statusCode}`))
        else if (received !== params.bytes) reject(new Error(`net: expected ${params.bytes} bytes, received ${received}`))
        else resolve({ value: received })
      })
    })
    request.on('error', (error) => reject(new Error(`net: ${error.message}`)))
  })
}

export const netWorkload: Workload<NetParams> = {
  name: 'net',
  summary: 'I/O-bound: an HTTP round trip over loopback to the latency upstream (keep-alive)',
  paramsSchema: netParamsSchema,
  task: netTask
}
