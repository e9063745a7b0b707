import type { FastifyReply, FastifyRequest } from 'fastify'

/** The text renderings a resource has besides JSON. */
export interface TextFormats<T> {
  csv: (value: T) => string
  table: (value: T) => string
}

/**
 * Content negotiation, in one place: CSV for `Accept: text/csv`, an aligned table for `text/plain`, JSON otherwise
 * (curl's default `*\/*` included).
 */
export function sendFormatted<T> (request: FastifyRequest, reply: FastifyReply, value: T, formats: TextFormats<T>): FastifyReply {
  const accept = request.headers.accept ?? ''
  if (accept.includes('text/csv')) return reply.type('text/csv; charset=utf-8').send(formats.csv(value))
  if (accept.includes('text/plain')) return reply.type('text/plain; charset=utf-8').send(formats.table(value))
  return reply.send(value)
}
