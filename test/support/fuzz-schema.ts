import type { SeededRandom } from './fuzz-random.js'

/*
 * The part of the service's OpenAPI 3 document (/docs/json) the fuzz reads: each operation's parameters and JSON
 * body schema, and valid values made from a schema (defaults, enum members, bounds), which the mutations start from.
 */

export interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  default?: unknown
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  if?: JsonSchema
  then?: JsonSchema
  $ref?: string
  description?: string
}

export interface Parameter {
  in: 'query' | 'path' | 'header' | 'cookie'
  name: string
  required?: boolean
  schema: JsonSchema
}

export interface Operation {
  /** 'POST /jobs', 'GET /jobs/{id}': how the summary and the per-operation counts name it */
  key: string
  method: string
  /** the OpenAPI path template */
  path: string
  query: Parameter[]
  pathParams: Parameter[]
  body?: JsonSchema
}

interface OpenApiDocument {
  openapi: string
  paths: Record<string, Record<string, { parameters?: Parameter[], requestBody?: { content?: Record<string, { schema: JsonSchema }> } }>>
  components?: { schemas?: Record<string, JsonSchema> }
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options'])

/** Every operation the document lists, with `$ref`s resolved. */
export function operationsOf (document: OpenApiDocument): Operation[] {
  const resolve = (schema: JsonSchema): JsonSchema => resolveRefs(schema, document.components?.schemas ?? {})
  const operations: Operation[] = []
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.has(method)) continue
      const parameters = (operation.parameters ?? []).map((parameter) => ({ ...parameter, schema: resolve(parameter.schema) }))
      const body = operation.requestBody?.content?.['application/json']?.schema
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        query: parameters.filter((parameter) => parameter.in === 'query'),
        pathParams: parameters.filter((parameter) => parameter.in === 'path'),
        ...(body ? { body: resolve(body) } : {})
      })
    }
  }
  return operations
}

function resolveRefs (schema: JsonSchema, definitions: Record<string, JsonSchema>, depth = 0): JsonSchema {
  if (depth > 50) return schema
  if (schema.$ref) {
    const name = schema.$ref.split('/').at(-1) ?? ''
    return resolveRefs(definitions[name] ?? {}, definitions, depth + 1)
  }
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([name, sub]) => [name, resolveRefs(sub, definitions, depth + 1)]))
    } else if (Array.isArray(value) && ['anyOf', 'oneOf', 'allOf'].includes(key)) {
      out[key] = (value as JsonSchema[]).map((sub) => resolveRefs(sub, definitions, depth + 1))
    } else if (value && typeof value === 'object' && ['items', 'if', 'then', 'additionalProperties'].includes(key)) {
      out[key] = resolveRefs(value as JsonSchema, definitions, depth + 1)
    } else {
      out[key] = value
    }
  }
  return out as JsonSchema
}

export const typeOf = (schema: JsonSchema): string | undefined => Array.isArray(schema.type) ? schema.type[0] : schema.type

/** Whether `value` matches the simple `if` schemas the service uses (properties with const or enum, required). */
function matchesIf (condition: JsonSchema, value: Record<string, unknown>): boolean {
  for (const name of condition.required ?? []) if (!(name in value)) return false
  for (const [name, sub] of Object.entries(condition.properties ?? {})) {
    if (!(name in value)) continue
    if ('const' in sub && value[name] !== sub.const) return false
    if (sub.enum && !sub.enum.includes(value[name])) return false
  }
  return true
}

/** An object schema's property schemas for this value: the `then` of every `allOf` if/then it matches wins. */
export function effectiveProperties (schema: JsonSchema, value: Record<string, unknown>): Record<string, JsonSchema> {
  const properties = { ...schema.properties }
  for (const part of schema.allOf ?? []) {
    if (part.if && part.then && matchesIf(part.if, value)) Object.assign(properties, part.then.properties)
  }
  return properties
}

/** The branches of an if/then: for each, the values that select it (`{ workload: 'db' }`). */
export function ifThenSelectors (schema: JsonSchema): Array<Record<string, unknown>> {
  return (schema.allOf ?? []).flatMap((part) => {
    const selector: Record<string, unknown> = {}
    for (const [name, sub] of Object.entries(part.if?.properties ?? {})) {
      if ('const' in sub) selector[name] = sub.const
      else if (sub.enum?.length) selector[name] = sub.enum[0]
    }
    return Object.keys(selector).length > 0 ? [selector] : []
  })
}

/** The lower and upper bound of a number schema (open bounds nudged inside, a missing one made up). */
export function boundsOf (schema: JsonSchema): { min: number, max: number } {
  const integer = typeOf(schema) === 'integer'
  const step = integer ? 1 : 0.5
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + step : 0)
  const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - step : min + 1000)
  return { min, max }
}

/**
 * A value the schema accepts. Without `random`: the canonical one (the default, the first enum member, the lower
 * bound, the fewest array items, only the required properties). With it: a random valid one (any member, anywhere
 * in the range, optional properties now and then) — the random phase starts from these. `overrides` fixes some
 * properties of an object first (an if/then selector: `{ workload: 'db' }`), so the others follow its branch.
 */
export function validValue (schema: JsonSchema, random?: SeededRandom, overrides: Record<string, unknown> = {}): unknown {
  if ('const' in schema) return schema.const
  if (schema.enum) return random ? random.pick(schema.enum) : (schema.enum.includes(schema.default) ? schema.default : schema.enum[0])
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) {
    if (!random && schema.default !== undefined) return schema.default
    return validValue(random ? random.pick(branches) : branches[0]!, random)
  }
  switch (typeOf(schema)) {
    case 'integer':
    case 'number': {
      if (!random && schema.default !== undefined) return schema.default
      const { min, max } = boundsOf(schema)
      if (!random) return min
      // Mostly the low end (short work), sometimes anywhere up to the bound.
      const top = random.chance(0.8) ? Math.min(max, min + 10) : max
      const value = typeOf(schema) === 'integer' ? random.int(Math.ceil(min), Math.floor(top)) : min + random.next() * (top - min)
      return Math.min(max, Math.max(min, value))
    }
    case 'boolean':
      return random ? random.chance(0.5) : (schema.default ?? false)
    case 'string':
      return schema.default ?? 'x'
    case 'array': {
      // Canonical: the fewest items allowed (a default list may be more than the limits allow together).
      const item = schema.items ?? {}
      const count = Math.max(1, schema.minItems ?? 1)
      if (item.enum) return random ? random.shuffle(item.enum).slice(0, random.int(count, Math.min(item.enum.length, schema.maxItems ?? item.enum.length))) : item.enum.slice(0, count)
      const values = new Set<unknown>()
      for (let i = 0; i < count * 3 && values.size < count; i++) values.add(validValue(item, random))
      return [...values]
    }
    case 'object':
    default:
      return validObject(schema, random, overrides)
  }
}

function validObject (schema: JsonSchema, random: SeededRandom | undefined, overrides: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const required = new Set(schema.required ?? [])
  // First the selectors of an if/then (workload), so the branch's property schemas are known for the rest.
  for (const [name, value] of Object.entries(overrides)) out[name] = value
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    if (name in out) continue
    if (required.has(name) || (random?.chance(0.3) ?? false)) out[name] = validValue(sub, random)
  }
  const properties = effectiveProperties(schema, out)
  for (const [name, sub] of Object.entries(properties)) {
    if (name in out && !(name in overrides) && sub !== schema.properties?.[name]) out[name] = validValue(sub, random)
  }
  return out
}
