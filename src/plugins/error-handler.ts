import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import secureJson from 'secure-json-parse'
import { BodyNotJson, BodyTooLarge, ForbiddenKey, UnsupportedMediaType, type RetryLater } from '../errors.js'

/** Fastify's own request errors, re-made with our codes and messages that name the limit. */
function translate (error: FastifyError, bodyLimit: number, contentType: string): FastifyError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new BodyTooLarge(bodyLimit)
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return new BodyNotJson(error.message)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new UnsupportedMediaType(contentType)
    default: return error
  }
}

/** The body of every error answer (ErrorSchema), also of those made before routing (client-errors.ts). */
export function errorBody (statusCode: number, code: string, message: string) {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message }
}

/**
 * One error shape for every failure: `{ statusCode, code, error, message }`. Deliberate errors go to the client as
 * they are (they name the field); unexpected ones are logged with the request id and hidden from the client.
 */
export const errorHandler = fp(async function errorHandler (app: FastifyInstance, options: { bodyLimit: number }) {
  // Fastify's own JSON parser answers every parse failure with one message ("Body is not valid JSON"), a
  // __proto__ key in valid JSON included: this one says which it was. Same library, same refusals.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body)
    if (text.trim() === '') return done(new BodyNotJson('the body is empty'), undefined)
    try {
      done(null, secureJson.parse(text, { protoAction: 'error', constructorAction: 'error' }))
    } catch (error) {
      const message = (error as Error).message
      done(/forbidden prototype property/i.test(message) ? new ForbiddenKey() : new BodyNotJson(message), undefined)
    }
  })
  app.setErrorHandler((raw: FastifyError, request, reply) => {
    const error = translate(raw, options.bodyLimit, String(request.headers['content-type'] ?? ''))
    const statusCode = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
    // Deliberate answers (4xx, 503 while shutting down) go out as they are; anything else is a bug: hide it.
    if (statusCode === 500 || (statusCode > 500 && !error.code)) {
      request.log.error({ err: raw }, 'request failed')
      return reply.code(500).send(errorBody(500, 'INTERNAL_ERROR',
        `internal error; the service log has the details under request id ${request.id}`))
    }
    const retryAfter = (raw as Partial<RetryLater>).retryAfterSeconds
    if (typeof retryAfter === 'number') reply.header('retry-after', retryAfter)
    return reply.code(statusCode).send(errorBody(statusCode, error.code ?? 'BAD_REQUEST', error.message))
  })

  app.setNotFoundHandler((request, reply) => {
    // Routes record their own request time (http-metrics binds a hook to each); one that matched none, here.
    request.server.recordUnmatched?.(request, reply)
    return reply.code(404).send(errorBody(404, 'ROUTE_NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0]}; the API is listed at /docs`))
  })
}, { name: 'error-handler' })
