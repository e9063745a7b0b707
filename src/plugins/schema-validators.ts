import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

/**
 * Two validators instead of Fastify's one. Query strings and path params arrive as text and must be coerced
 * ('5' → 5); a JSON body must not be: `"tasks": "3"` is a wrong type, not 3 (no silent conversion of user input).
 * Both reject unknown properties instead of dropping them (Fastify's default removes them silently), fill
 * defaults, stop at the first error (allErrors invites DoS), and keep each error's schema (`verbose`), whose
 * description names the limit's env variable for the message.
 */
export function createAjv (coerceTypes: Options['coerceTypes']): Ajv {
  const instance = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, verbose: true, strict: false })
  addFormats.default(instance)
  return instance
}

export function schemaValidators (): FastifySchemaCompiler<unknown> {
  const forBody = createAjv(false)
  const forText = createAjv('array')
  return ({ schema, httpPart }) => (httpPart === 'body' ? forBody : forText).compile(schema as object)
}
