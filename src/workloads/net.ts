import http from 'node:http'
import https from 'node:https'
import type { NetParams } from './params/net.js'
import type { TaskContext, TaskResult } from './workload.js'

/** Time an answer may take beyond the asked latency before the task fails. */
export const NET_GRACE_MS = 30_000

// One keep-alive agent per thread or process: connections are reused across tasks, as a real client does.
const agentOptions = { keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 }
const httpAgent = new http.Agent(agentOptions)
const httpsAgent = new https.Agent(agentOptions)

/** I/O-bound: one real HTTP round trip over loopback to the latency upstream; checks status and body size. */
export function netTask (params: NetParams, context: TaskContext): Promise<TaskResult> {
  return context.gil.io(() => roundTrip(params, context))
}

function roundTrip (params: NetParams, context: TaskContext): Promise<TaskResult> {
  const url = `${context.upstreamUrl}/sim/delay?ms=${params.latencyMs}&bytes=${params.bytes}`
  const secure = url.startsWith('https:')
  return new Promise((resolve, reject) => {
    const options = { agent: secure ? httpsAgent : httpAgent, ...(context.signal ? { signal: context.signal } : {}) }
    const request = (secure ? https : http).get(url, options, (response) => {
      let received = 0
      response.on('data', (chunk: Buffer) => { received += chunk.length })
      response.on('error', (error) => reject(new Error(`net: ${error.message}`)))
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`net: upstream answered ${response.statusCode}`))
        else if (received !== params.bytes) reject(new Error(`net: expected ${params.bytes} bytes, received ${received}`))
        else resolve({ value: received })
      })
    })
    // An upstream that stalls (UPSTREAM_URL pointing at a hung server) fails the task instead of holding its thread.
    const limitMs = params.latencyMs + NET_GRACE_MS
    request.setTimeout(limitMs, () => request.destroy(new Error(`no answer within ${limitMs} ms (latencyMs + ${NET_GRACE_MS})`)))
    request.on('error', (error) => reject(new Error(`net: ${error.message}`)))
  })
}
