import { boundsOf, typeOf, validValue, type JsonSchema } from './fuzz-schema.js'

/*
 * Hostile values, chosen from a field's schema: its bounds and one step past them, wrong types, the strings that
 * number parsers trip on, huge and unicode strings, prototype names, deep nesting. Body values are JSON (with raw
 * tokens JSON.stringify cannot write: 1e309, -0, deep nesting); query and path values are already-encoded URL text.
 */

/** JSON text placed as it is: numbers JSON.stringify would rewrite (1e309, -0) and nesting too deep to stringify. */
export class RawJson {
  constructor (readonly text: string) {}
}

export interface Variant { label: string, value: unknown }

/** JSON text of a value that may hold RawJson anywhere (the structure itself is shallow). */
export function toJsonText (value: unknown): string {
  if (value instanceof RawJson) return value.text
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`
  if (value && typeof value === 'object') {
    return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** A copy of a variant's value to put in a request (a later mutation may write into it); RawJson stays as it is. */
export function copyValue (value: unknown): unknown {
  if (value instanceof RawJson || !value || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(copyValue)
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyValue(item)]))
}

export const deepArray = (depth: number) => new RawJson(`${'['.repeat(depth)}${']'.repeat(depth)}`)
export const deepObject = (depth: number) => new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)

/** What number parsers get wrong: as JSON strings in a body, as text in a query. */
export const NUMBER_WORDS = ['NaN', 'Infinity', '-Infinity', '1e309', '-0', '0x10'] as const

export const UNICODE: readonly Variant[] = [
  { label: 'emoji', value: '🧵💥👩‍👩‍👧' },
  { label: 'RTL override', value: '\u202Eevil\u202C' },
  { label: 'Hebrew and Arabic', value: 'שלום عالم' },
  { label: 'NUL', value: '\u0000' },
  { label: 'NUL inside', value: 'a\u0000b' },
  { label: 'lone high surrogate', value: '\ud800' },
  { label: 'lone low surrogate', value: '\udfff' },
  { label: 'BOM and zero-width', value: '\ufeff\u200b' },
  { label: 'line separators', value: '\u2028\u2029\r\n' }
]

export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'] as const

/** 100 000 characters in a body string (the brief's "huge"); the body limit is set above it. */
export const HUGE_BODY_STRING = 'x'.repeat(100_000)

const WRONG_TYPES: readonly Variant[] = [
  { label: 'null', value: null },
  { label: 'empty array', value: [] },
  { label: 'empty object', value: {} },
  { label: 'array 1000 deep', value: deepArray(1_000) },
  { label: 'object 1000 deep', value: deepObject(1_000) },
  { label: 'array 10000 deep', value: deepArray(10_000) }
]

function numberValues (schema: JsonSchema): Variant[] {
  const integer = typeOf(schema) === 'integer'
  const { min, max } = boundsOf(schema)
  const step = integer ? 1 : 0.001
  const out: Variant[] = []
  if (schema.minimum !== undefined) out.push({ label: 'min', value: schema.minimum }, { label: 'min-1', value: schema.minimum - step })
  if (schema.exclusiveMinimum !== undefined) {
    out.push({ label: 'exclusiveMinimum', value: schema.exclusiveMinimum }, { label: 'just above exclusiveMinimum', value: new RawJson('5e-324') })
  }
  if (schema.maximum !== undefined) out.push({ label: 'max', value: schema.maximum }, { label: 'max+1', value: schema.maximum + step })
  out.push(
    { label: '0', value: 0 },
    { label: '-1', value: -1 },
    { label: '1.5', value: 1.5 },
    { label: 'min+0.5', value: min + 0.5 },
    { label: 'raw -0', value: new RawJson('-0') },
    { label: 'raw 1e309 (Infinity)', value: new RawJson('1e309') },
    { label: 'raw -1e309', value: new RawJson('-1e309') },
    { label: 'raw 1e-400 (0)', value: new RawJson('1e-400') },
    { label: '2^53+1', value: new RawJson('9007199254740993') },
    { label: '1e21', value: 1e21 },
    { label: 'max double', value: Number.MAX_VALUE },
    { label: 'max*2^32', value: max * 4_294_967_296 },
    { label: 'numeric string', value: String(min) },
    ...NUMBER_WORDS.map((word) => ({ label: `string ${word}`, value: word })),
    { label: 'true', value: true },
    { label: 'array of min', value: [min] },
    ...WRONG_TYPES
  )
  return out
}

function enumValues (schema: JsonSchema): Variant[] {
  const members = (schema.enum ?? []).map(String)
  const first = members[0] ?? 'x'
  return [
    ...members.map((member) => ({ label: `member ${member}`, value: member })),
    { label: 'upper case', value: first.toUpperCase() },
    { label: 'padded', value: ` ${first}` },
    { label: 'member+NUL', value: `${first}\u0000` },
    { label: 'empty string', value: '' },
    { label: '100000 chars', value: HUGE_BODY_STRING },
    ...UNICODE.map((item) => ({ label: `unicode ${item.label}`, value: item.value })),
    ...PROTOTYPE_NAMES.slice(0, 3).map((name) => ({ label: `string ${name}`, value: name })),
    { label: 'string NaN', value: 'NaN' },
    { label: 'number 1', value: 1 },
    { label: 'true', value: true },
    { label: 'array of member', value: [first] },
    ...WRONG_TYPES
  ]
}

function booleanValues (): Variant[] {
  return [
    { label: 'true', value: true },
    { label: 'false', value: false },
    { label: 'string true', value: 'true' },
    { label: 'string false', value: 'false' },
    { label: '0', value: 0 },
    { label: '1', value: 1 },
    { label: 'string NaN', value: 'NaN' },
    { label: '100000 chars', value: HUGE_BODY_STRING },
    ...WRONG_TYPES
  ]
}

function arrayValues (schema: JsonSchema): Variant[] {
  const item = schema.items ?? {}
  const one = validValue(item)
  const many = (count: number) => new RawJson(`[${Array.from({ length: count }, () => JSON.stringify(one)).join(',')}]`)
  const distinct = (count: number) => item.enum ? [...item.enum] : Array.from({ length: count }, (_, i) => i + 1)
  const out: Variant[] = [
    { label: 'empty array', value: [] },
    { label: 'duplicate items', value: [one, one] },
    { label: '10000 items', value: many(10_000) },
    { label: 'string', value: String(one) },
    { label: 'object', value: { 0: one } },
    { label: 'null', value: null },
    { label: 'array of null', value: [null] },
    { label: 'nested array', value: [[one]] },
    { label: 'array 1000 deep', value: deepArray(1_000) },
    { label: 'array 10000 deep', value: deepArray(10_000) }
  ]
  if (schema.maxItems !== undefined) out.push({ label: 'maxItems+1 items', value: distinct(schema.maxItems + 1) })
  // The items' own hostile values, as the one item.
  for (const variant of leafValues(item)) out.push({ label: `item ${variant.label}`, value: [variant.value] })
  return out
}

/** Hostile values for a field that is not an object with properties (those are walked field by field). */
export function leafValues (schema: JsonSchema): Variant[] {
  if (schema.enum) return enumValues(schema)
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) {
    const seen = new Set<string>()
    return branches.flatMap(leafValues).filter((variant) => {
      const key = toJsonText(variant.value)
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
  }
  switch (typeOf(schema)) {
    case 'integer':
    case 'number': return numberValues(schema)
    case 'boolean': return booleanValues()
    case 'array': return arrayValues(schema)
    case 'string': return enumValues({ enum: [schema.default ?? 'x'] })
    default: return [...WRONG_TYPES, { label: 'string', value: 'x' }, { label: 'number', value: 1 }]
  }
}

/** Object-level mutations: the object replaced, or given keys no schema has (JSON text: __proto__ cannot be a JS key). */
export function objectValues (canonical: Record<string, unknown>): Variant[] {
  const text = toJsonText(canonical)
  const withKey = (key: string, value: string) => new RawJson(text === '{}' ? `{${JSON.stringify(key)}:${value}}` : `{${JSON.stringify(key)}:${value},${text.slice(1)}`)
  return [
    { label: 'empty object', value: {} },
    { label: 'null', value: null },
    { label: 'array', value: [canonical] },
    { label: 'string', value: 'x' },
    { label: 'number', value: 1 },
    { label: 'true', value: true },
    { label: 'object 1000 deep', value: deepObject(1_000) },
    { label: 'object 10000 deep', value: deepObject(10_000) },
    { label: 'unknown key', value: withKey('unknownField', '1') },
    { label: 'unknown key __proto__', value: withKey('__proto__', '{"polluted":true}') },
    { label: 'unknown key constructor.prototype', value: withKey('constructor', '{"prototype":{"polluted":true}}') },
    { label: 'unknown key toString', value: withKey('toString', '1') },
    { label: 'empty key', value: withKey('', '1') },
    { label: '10000-char key', value: withKey('k'.repeat(10_000), '1') },
    { label: 'emoji key', value: withKey('🧵', '1') },
    { label: 'NUL key', value: withKey('\u0000', '1') },
    { label: '10000 unknown keys', value: new RawJson(`{${Array.from({ length: 10_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`) }
  ]
}

/** URL text (already encoded) for a query parameter of this schema. */
export function queryValues (schema: JsonSchema): Variant[] {
  const encoded = (label: string, text: string): Variant => ({ label, value: encodeURIComponent(text) })
  const raw = (label: string, text: string): Variant => ({ label, value: text })
  const common: Variant[] = [
    raw('empty', ''),
    encoded('10000 chars', 'x'.repeat(10_000)),
    encoded('emoji', '🧵💥'),
    encoded('RTL override', '\u202Eevil'),
    raw('NUL', '%00'),
    raw('lone surrogate (CESU-8)', '%ED%A0%80'),
    raw('invalid UTF-8', '%FF%FE'),
    raw('bad percent-encoding', '%zz'),
    raw('truncated percent-encoding', '%E2%82'),
    encoded('array syntax', '[]'),
    encoded('JSON object', '{"a":1}'),
    raw('plus as space', '+'),
    encoded('string null', 'null'),
    ...PROTOTYPE_NAMES.slice(0, 3).map((name) => encoded(`string ${name}`, name))
  ]
  if (schema.enum) {
    const members = schema.enum.map(String)
    return [
      ...members.map((member) => encoded(`member ${member}`, member)),
      encoded('upper case', members[0]!.toUpperCase()),
      encoded('padded', ` ${members[0]!}`),
      ...common
    ]
  }
  switch (typeOf(schema)) {
    case 'integer':
    case 'number': {
      const integer = typeOf(schema) === 'integer'
      const step = integer ? 1 : 0.001
      const out: Variant[] = []
      if (schema.minimum !== undefined) out.push(encoded('min', String(schema.minimum)), encoded('min-1', String(schema.minimum - step)))
      if (schema.maximum !== undefined) out.push(encoded('max', String(schema.maximum)), encoded('max+1', String(schema.maximum + step)))
      out.push(
        encoded('0', '0'), encoded('-1', '-1'), encoded('1.5', '1.5'), encoded('1e3', '1e3'), encoded('+1', '+1'),
        encoded('0b1', '0b1'), encoded('1_000', '1_000'), encoded(' 1 ', ' 1 '), encoded('1,2', '1,2'),
        encoded('2^53+1', '9007199254740993'), encoded('10000 digits', '9'.repeat(10_000)), encoded('true', 'true'),
        ...NUMBER_WORDS.map((word) => encoded(word, word)),
        ...common
      )
      return out
    }
    case 'boolean':
      return [
        encoded('true', 'true'), encoded('false', 'false'), encoded('1', '1'), encoded('0', '0'), encoded('yes', 'yes'),
        encoded('TRUE', 'TRUE'), encoded('NaN', 'NaN'), ...common
      ]
    default:
      return [encoded('x', 'x'), ...common]
  }
}

/** Path parameter text (already encoded): traversal, NUL, 2 000 characters, bad encodings, prototype names. */
export const PATH_VALUES: readonly Variant[] = [
  { label: 'traversal ..%2F..', value: '..%2F..' },
  { label: 'traversal ..%2F..%2Fetc%2Fpasswd', value: '..%2F..%2Fetc%2Fpasswd' },
  { label: 'NUL', value: '%00' },
  { label: '2000 chars', value: 'a'.repeat(2_000) },
  { label: '100 chars (maxParamLength)', value: 'a'.repeat(100) },
  { label: '101 chars', value: 'a'.repeat(101) },
  { label: 'dot dot', value: '..' },
  { label: 'encoded dot dot', value: '%2e%2e' },
  { label: 'double-encoded', value: '%252e%252e%252f' },
  { label: 'encoded slash', value: 'a%2Fb' },
  { label: 'space', value: '%20' },
  { label: 'bad percent-encoding', value: '%zz' },
  { label: 'lone surrogate (CESU-8)', value: '%ED%A0%80' },
  { label: 'invalid UTF-8', value: '%FF' },
  { label: 'emoji', value: encodeURIComponent('🧵') },
  { label: 'RTL override', value: encodeURIComponent('\u202Eevil') },
  { label: 'markup', value: encodeURIComponent('<script>alert(1)</script>') },
  { label: 'quote and semicolon', value: encodeURIComponent("';--") },
  ...PROTOTYPE_NAMES.map((name) => ({ label: name, value: name })),
  { label: 'NaN', value: 'NaN' },
  { label: '-1', value: '-1' },
  { label: '0', value: '0' },
  { label: 'empty', value: '' }
]
