import { Redis, type RedisOptions } from 'ioredis'

/** The URL without its password, for messages and logs. */
export function redactedUrl (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'redis://(unparsable URL)'
  }
}

/** Reconnects back off 50 ms … 2 s, forever: a replica outlives a Redis restart (its jobs do not). */
const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000)

/**
 * A connection for blocking commands (a BullMQ Worker or QueueEvents): BullMQ requires maxRetriesPerRequest null,
 * so its commands wait for Redis to come back.
 */
export function blockingConnection (url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, retryStrategy, connectionName: name, lazyConnect: false })
}

/**
 * A connection whose commands fail at once while Redis is unreachable (no offline queue): what the coordinator
 * adds, polls and publishes must fail, not wait, so a job can end with a clear error (BullMQ's advice for a Queue).
 */
export function failFastConnection (url: string, name: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy, connectionName: name, ...extra })
}
