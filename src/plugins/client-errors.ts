import type { IncomingMessage } from 'node:http'

/*
 * What a client hands the service before any route sees its request.
 *
 * Request ids: a client's `x-request-id` names the request's resources (GET /work/file's temp dir), its log lines and
 * the header of its event stream, so only an id of 1 to 64 letters, digits, `_` and `-` is kept; any other (`a/b`, a
 * path, a newline, two headers joined by Fastify) is replaced by one of ours, as if none had been sent.
 */

const CLEAN_REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/

/** Fastify's genReqId: the client's id from `header` when it is clean, else `req-<n>` (Fastify's own form). */
export function requestIds (header: string): (request: IncomingMessage) => string {
  let next = 0
  return (request) => {
    const given = request.headers[header]
    if (typeof given === 'string' && CLEAN_REQUEST_ID.test(given)) return given
    next = (next + 1) & 0x7fffffff // a small integer, as Fastify's own generator keeps it
    return `req-${next.toString(36)}`
  }
}
