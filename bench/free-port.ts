import { once } from 'node:events'
import { createServer } from 'node:net'

/**
 * A loopback port the OS just handed out, closed again: free unless something takes it in the next instant (a
 * process that needs its port on the command line: redis-server, a service logging nothing to read it from).
 */
export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}
