/** The part of an Ajv error this module reads (Ajv's ErrorObject, without depending on Ajv's types). */
export interface SchemaError {
  keyword: string
  instancePath: string
  message?: string
  params: Record<string, unknown>
  /** present with Ajv's `verbose` option: where a limit's description names its env variable */
  parentSchema?: { description?: string }
}

/** The env variable(s) a schema's description names in parentheses, e.g. "(MAX_TASKS)". */
function limitVariables (error: SchemaError): string {
  const match = /\(([A-Z]+_[A-Z0-9_]+(?:, [A-Z]+_[A-Z0-9_]+)*)\)/.exec(error.parentSchema?.description ?? '')
  return match ? ` (${match[1]})` : ''
}

/**
 * One message for one schema error, naming the field and what is allowed:
 * `body/params/bytes must be <= 16777216`, `body/mode must be one of: inline, async, threads, pool, processes`,
 * `body must not have the property 'color'`. Ajv's defaults omit the allowed values and the extra property's name.
 */
export function describeSchemaError (error: SchemaError, dataVar: string): string {
  const field = `${dataVar}${error.instancePath}`
  const params = error.params
  switch (error.keyword) {
    case 'enum':
      return `${field} must be one of: ${(params.allowedValues as unknown[]).join(', ')}`
    case 'const':
      return `${field} must be ${JSON.stringify(params.allowedValue)}`
    case 'additionalProperties':
      return `${field} must not have the property '${String(params.additionalProperty)}'`
    case 'required':
      return `${field} must have the property '${String(params.missingProperty)}'`
    case 'maximum':
    case 'minimum':
      return `${field} ${error.message ?? 'is out of range'}${limitVariables(error)}`
    default:
      return `${field} ${error.message ?? 'is invalid'}`
  }
}

/** All errors of one validation as one sentence (Ajv stops at the first unless allErrors is on). */
export function describeSchemaErrors (errors: readonly SchemaError[], dataVar: string): string {
  // An if/then failure also reports the `if` itself ("must match then schema"): noise beside the real error.
  const meaningful = errors.filter((error) => error.keyword !== 'if')
  return (meaningful.length > 0 ? meaningful : errors).map((error) => describeSchemaError(error, dataVar)).join('; ')
}
