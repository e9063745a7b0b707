import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
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
  // strictNumbers: JSON's 1e309 parses as Infinity, which would otherwise pass as a number (and an integer)
  const instance = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, verbose: true, strict: false, strictNumbers: true })
  addFormats.default(instance)
  return instance
}

/** A number as a person writes it in a URL: decimal, finite. Ajv's coercion is JavaScript's Number() ('0x10' is 16, ' 1 ' is 1, 'Infinity' passes maximum). */
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/

type Numeric = [key: string, type: 'integer' | 'number']

/** The top-level number and integer fields of a query or params schema. */
function numericFields (schema: { properties?: Record<string, { type?: unknown }> }): Numeric[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, field]): Numeric[] =>
    field.type === 'integer' || field.type === 'number' ? [[key, field.type]] : [])
}

/** Refuses text numbers Ajv's coercion would read loosely, with the same error Ajv gives for a wrong type. */
function strictTextNumbers (schema: object, validate: ValidateFunction): ValidateFunction | ((data: unknown) => boolean) {
  const fields = numericFields(schema)
  if (fields.length === 0) return validate
  const wrapped = (data: unknown): boolean => {
    for (const [key, type] of fields) {
      const value = (data as Record<string, unknown> | null)?.[key]
      if (typeof value === 'string' && !(DECIMAL.test(value) && Number.isFinite(Number(value)))) {
        const error: ErrorObject = { instancePath: `/${key}`, schemaPath: `#/properties/${key}/type`, keyword: 'type', params: { type }, message: `must be ${type}` }
        wrapped.errors = [error]
        return false
      }
    }
    const valid = validate(data) as boolean
    wrapped.errors = validate.errors
    return valid
  }
  wrapped.errors = null as ErrorObject[] | null | undefined
  return wrapped
}

export function schemaValidators (): FastifySchemaCompiler<unknown> {
  const forBody = createAjv(false)
  const forText = createAjv('array')
  return ({ schema, httpPart }) => httpPart === 'body'
    ? forBody.compile(schema as object)
    : strictTextNumbers(schema as object, forText.compile(schema as object))
}
