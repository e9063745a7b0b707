import type { SeededRandom } from './fuzz-random.js'
import { effectiveProperties, ifThenSelectors, typeOf, validValue, type JsonSchema, type Operation } from './fuzz-schema.js'
import { copyValue, deepArray, deepObject, leafValues, objectValues, PATH_VALUES, queryValues, RawJson, toJsonText } from './fuzz-values.js'

/*
 * Requests made from one operation of the OpenAPI document:
 *
 *   schema ──validValue──▶ a valid request (canonical, or random) ──one or two mutations──▶ the request sent
 *
 * Mutations come from the schema: each body field (walked through nested objects and every if/then branch), each
 * query parameter, each path parameter, the body as a whole (content types, broken JSON, empty, oversize) and a few
 * headers. Nothing here lists the service's fields by name.
 */

export interface FuzzRequest {
  /** the operation, as the OpenAPI document names it ('POST /jobs') */
  op: string
  /** what was mutated */
  what: string
  method: string
  path: string
  headers: Record<string, string>
  body?: Buffer
  /** send the body with Transfer-Encoding: chunked (no Content-Length) */
  chunked?: boolean
  /** the server may close the connection before reading the whole request (oversize head or body) */
  mayReset?: boolean
  /** bytes written on the socket as they are, instead of a request made by node:http (fuzz-raw.ts) */
  raw?: Buffer
}

export interface CaseLimits {
  bodyLimit: number
  maxHeaderBytes: number
}

/** A request before it is encoded: query pairs and path values are URL text, the body a JSON value or raw bytes. */
interface Draft {
  method?: string
  query: Array<[string, string | undefined]>
  pathValues: Record<string, string>
  body?: unknown
  rawBody?: Buffer
  headers: Record<string, string>
  chunked?: boolean
  mayReset?: boolean
}

type Mutation = { label: string, apply: (draft: Draft) => void }

const clone = <T>(value: T): T => structuredClone(value)

function setAt (root: unknown, path: readonly string[], value: unknown, remove = false): unknown {
  if (path.length === 0) return value
  const top = (root && typeof root === 'object' && !(root instanceof RawJson) ? root : {}) as Record<string, unknown>
  const [head, ...rest] = path as [string, ...string[]]
  if (rest.length === 0) {
    if (remove) delete top[head]
    else top[head] = value
  } else {
    top[head] = setAt(top[head], rest, value, remove)
  }
  return top
}

function getAt (root: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((value, name) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined), root)
}

const isObjectSchema = (schema: JsonSchema) => typeOf(schema) === 'object' || (schema.properties !== undefined && schema.type === undefined)

/**
 * Body mutations: each applies to whatever body the draft has (the canonical one, or a random valid one), so the
 * same list serves both phases. A branch of an if/then first sets its selector (workload: db) and its branch's
 * valid value, then mutates inside it.
 */
function bodyMutations (schema: JsonSchema): Mutation[] {
  const out: Mutation[] = []
  const walk = (objectSchema: JsonSchema, base: Record<string, unknown>, path: string[], prepare: (draft: Draft) => void, context: string, only?: Set<string>) => {
    const at = ['body', ...path].join('/')
    const push = (label: string, change: (draft: Draft) => void) => out.push({ label: `${label}${context}`, apply: (draft) => { prepare(draft); change(draft) } })
    const properties = effectiveProperties(objectSchema, base)
    if (!only) {
      if (path.length > 0) {
        for (const variant of objectValues(base)) push(`${at}: ${variant.label}`, (draft) => { draft.body = setAt(draft.body, path, copyValue(variant.value)) })
      }
      for (const name of objectSchema.required ?? []) {
        push(`${at}/${name} missing`, (draft) => { draft.body = setAt(draft.body, [...path, name], undefined, true) })
      }
    }
    for (const [name, sub] of Object.entries(properties)) {
      if (only && !only.has(name)) continue
      const childPath = [...path, name]
      if (isObjectSchema(sub)) {
        const given = base[name]
        const childBase = (given && typeof given === 'object' ? given : validValue(sub)) as Record<string, unknown>
        const setChild = (draft: Draft) => {
          prepare(draft)
          const current = getAt(draft.body, childPath)
          if (!current || typeof current !== 'object') draft.body = setAt(draft.body, childPath, clone(childBase))
        }
        walk(sub, childBase, childPath, setChild, context)
      } else {
        for (const variant of leafValues(sub)) push(`${at}/${name} = ${variant.label}`, (draft) => { draft.body = setAt(draft.body, childPath, copyValue(variant.value)) })
      }
    }
    if (only) return
    // The other branches of an if/then (each workload's params): the object made valid for that branch first.
    for (const selector of ifThenSelectors(objectSchema)) {
      if (Object.entries(selector).every(([name, value]) => base[name] === value)) continue
      const branchBase = validValue(objectSchema, undefined, selector) as Record<string, unknown>
      const changed = new Set((objectSchema.allOf ?? []).flatMap((part) => part.then && Object.entries(part.if?.properties ?? {})
        .every(([name, sub]) => sub.const === selector[name] || sub.enum?.includes(selector[name]))
        ? Object.keys(part.then.properties ?? {})
        : []))
      const setBranch = (draft: Draft) => {
        prepare(draft)
        draft.body = setAt(draft.body, path, clone(branchBase))
      }
      const label = ` [${Object.entries(selector).map(([name, value]) => `${name}=${String(value)}`).join(', ')}]`
      walk(objectSchema, branchBase, path, setBranch, `${context}${label}`, changed)
    }
  }
  if (isObjectSchema(schema)) walk(schema, validValue(schema) as Record<string, unknown>, [], () => {}, '')
  else for (const variant of leafValues(schema)) out.push({ label: `body = ${variant.label}`, apply: (draft) => { draft.body = copyValue(variant.value) } })
  return out
}

function replaceQuery (draft: Draft, name: string, value: string | undefined, keep = false) {
  if (!keep) draft.query = draft.query.filter(([key]) => key !== name)
  if (value !== undefined) draft.query.push([name, value])
}

function queryMutations (operation: Operation, limits: CaseLimits): Mutation[] {
  const out: Mutation[] = []
  for (const parameter of operation.query) {
    const at = `querystring/${parameter.name}`
    for (const variant of queryValues(parameter.schema)) {
      out.push({ label: `${at} = ${variant.label}`, apply: (draft) => replaceQuery(draft, parameter.name, String(variant.value)) })
    }
    out.push({ label: `${at} missing`, apply: (draft) => replaceQuery(draft, parameter.name, undefined) })
    out.push({ label: `${at} without =`, apply: (draft) => { replaceQuery(draft, parameter.name, undefined); draft.query.push([parameter.name, undefined]) } })
    const valid = encodeURIComponent(String(validValue(parameter.schema)))
    out.push({ label: `${at} twice`, apply: (draft) => { replaceQuery(draft, parameter.name, valid); replaceQuery(draft, parameter.name, valid, true) } })
    out.push({ label: `${at} twice, second hostile`, apply: (draft) => { replaceQuery(draft, parameter.name, valid); replaceQuery(draft, parameter.name, 'NaN', true) } })
  }
  const extra = (label: string, key: string, value: string | undefined, mayReset = false) =>
    out.push({ label: `querystring: ${label}`, apply: (draft) => { draft.query.push([key, value]); if (mayReset) draft.mayReset = true } })
  extra('unknown parameter', 'unknownParam', '1')
  extra('__proto__ parameter', '__proto__', '1')
  extra('constructor parameter', 'constructor', 'x')
  extra('NUL parameter name', '%00', '1')
  extra('empty name', '', '1')
  extra('bracket key 1000 deep', `a${'%5Bb%5D'.repeat(1_000)}`, '1')
  extra('10000-char value of an unknown parameter', 'pad', 'x'.repeat(10_000))
  extra('10000-char name', 'k'.repeat(10_000), '1')
  extra('1000 parameters', Array.from({ length: 999 }, (_, i) => `p${i}=${i}`).join('&') + '&p999', '1')
  extra('longer than MAX_HEADER_BYTES', 'pad', 'x'.repeat(limits.maxHeaderBytes + 1_000), true)
  return out
}

function pathMutations (operation: Operation): Mutation[] {
  return operation.pathParams.flatMap((parameter) => PATH_VALUES.map((variant) => ({
    label: `params/${parameter.name} = ${variant.label}`,
    apply: (draft: Draft) => { draft.pathValues[parameter.name] = String(variant.value) }
  })))
}

const utf8 = (text: string) => Buffer.from(text, 'utf8')

/** The body as a whole: media types, JSON that does not parse, empty, oversize, non-object tops, deep nesting. */
function wholeBodyMutations (limits: CaseLimits): Mutation[] {
  const out: Mutation[] = []
  const withType = (label: string, type: string | undefined, body?: (draft: Draft) => Buffer) => out.push({
    label: `content-type: ${label}`,
    apply: (draft) => {
      if (type === undefined) delete draft.headers['content-type']
      else draft.headers['content-type'] = type
      if (body) draft.rawBody = body(draft)
    }
  })
  const jsonOf = (draft: Draft) => utf8(toJsonText(draft.body))
  withType('text/plain', 'text/plain', jsonOf)
  withType('application/xml', 'application/xml', () => utf8('<?xml version="1.0"?><request><a>1</a></request>'))
  withType('multipart/form-data', 'multipart/form-data; boundary=XyZ', () => utf8('--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--\r\n'))
  withType('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', () => utf8('a=1&b=2'))
  withType('none', undefined, jsonOf)
  withType('empty header', '', jsonOf)
  withType('application/json; charset=latin1', 'application/json; charset=latin1', jsonOf)
  withType('application/json; charset=utf-16', 'application/json; charset=utf-16', (draft) => Buffer.from(toJsonText(draft.body), 'utf16le'))
  withType('APPLICATION/JSON', 'APPLICATION/JSON', jsonOf)
  withType('application/json with empty parameter', 'application/json;', jsonOf)
  withType('application/jsonx', 'application/jsonx', jsonOf)
  withType('application/vnd.api+json', 'application/vnd.api+json', jsonOf)
  withType('*/*', '*/*', jsonOf)
  withType('two types', 'application/json, text/plain', jsonOf)
  withType('garbage', ';;;=', jsonOf)

  const raw = (label: string, bytes: Buffer | ((draft: Draft) => Buffer), extra: Partial<Draft> = {}) => out.push({
    label: `body: ${label}`,
    apply: (draft) => {
      draft.rawBody = typeof bytes === 'function' ? bytes(draft) : bytes
      Object.assign(draft, extra)
    }
  })
  for (const text of ['{', '}', '{"a":}', "{'a':1}", '[1,]', '{"n":01}', 'NaN', 'undefined', '{} x', '{"a":1}{"b":2}', '{"a":"\\x"}', '"\\ud800"', '   ']) {
    raw(`invalid JSON ${JSON.stringify(text)}`, utf8(text))
  }
  raw('BOM before JSON', (draft) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), jsonOf(draft)]))
  raw('invalid UTF-8 inside a string', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]))
  raw('duplicate key', (draft) => {
    const text = toJsonText(draft.body)
    const key = /^\{("[^"]*")/.exec(text)?.[1]
    return utf8(key ? `${text.slice(0, -1)},${key}:"duplicate"}` : text)
  })
  raw('empty', Buffer.alloc(0))
  raw('empty, no content-type', Buffer.alloc(0), { headers: {} })
  for (const [label, value] of [
    ['null', 'null'], ['array', '[]'], ['string', '"x"'], ['number', '1'], ['true', 'true'], ['array of object', '[{}]'],
    ['array 1000 deep', deepArray(1_000).text], ['array 100000 deep', deepArray(100_000).text],
    ['object 1000 deep', deepObject(1_000).text], ['object 30000 deep', deepObject(30_000).text]
  ] as const) raw(`top-level ${label}`, utf8(value))
  // A JSON object padded to a chosen size: one byte over BODY_LIMIT_BYTES, and exactly at it.
  const padded = (size: number) => utf8(`{"pad":"${'x'.repeat(size - '{"pad":""}'.length)}"}`)
  raw('exactly BODY_LIMIT_BYTES', padded(limits.bodyLimit))
  raw('BODY_LIMIT_BYTES + 1', padded(limits.bodyLimit + 1), { mayReset: true })
  raw('BODY_LIMIT_BYTES + 1, chunked', padded(limits.bodyLimit + 1), { chunked: true, mayReset: true })
  raw('4 × BODY_LIMIT_BYTES', padded(limits.bodyLimit * 4), { mayReset: true })
  raw('chunked valid body', jsonOf, { chunked: true })
  return out
}

/** Headers any operation may get: hostile request ids, odd Accept, stray Authorization, a body where none belongs. */
function headerMutations (operation: Operation, limits: CaseLimits): Mutation[] {
  const header = (label: string, name: string, value: string, extra: Partial<Draft> = {}) => ({
    label: `headers/${name}: ${label}`,
    apply: (draft: Draft) => { draft.headers[name] = value; Object.assign(draft, extra) }
  })
  const out: Mutation[] = [
    header('a/b', 'x-request-id', 'a/b'),
    header('traversal', 'x-request-id', '../../etc/passwd'),
    header('65 chars', 'x-request-id', 'x'.repeat(65)),
    header('8000 chars', 'x-request-id', 'x'.repeat(8_000)),
    header('latin-1', 'x-request-id', 'caf\u00e9'),
    header('text/csv', 'accept', 'text/csv'),
    header('text/plain', 'accept', 'text/plain'),
    header('application/xml', 'accept', 'application/xml'),
    header('weighted', 'accept', 'text/html;q=0.1, text/csv;q=0.9'),
    header('garbage', 'accept', ';;;q=x,,'),
    header('bearer junk', 'authorization', `Bearer ${'x'.repeat(100)}`),
    header('basic', 'authorization', 'Basic Zm9vOmJhcg=='),
    header('larger than MAX_HEADER_BYTES', 'x-pad', 'x'.repeat(limits.maxHeaderBytes + 100), { mayReset: true }),
    { label: 'headers: 200 extra headers', apply: (draft) => { for (let i = 0; i < 200; i++) draft.headers[`x-extra-${i}`] = String(i) } },
    // A method the path does not serve: the not-found answer, in the error shape.
    ...['PUT', 'PATCH', 'OPTIONS'].filter((method) => method !== operation.method)
      .map((method) => ({ label: `method ${method}`, apply: (draft: Draft) => { draft.method = method } }))
  ]
  if (!operation.body) {
    out.push(
      { label: 'headers/content-type: text/plain with a body', apply: (draft) => { draft.headers['content-type'] = 'text/plain'; draft.rawBody = utf8('hello') } },
      { label: 'headers/content-type: broken JSON body', apply: (draft) => { draft.headers['content-type'] = 'application/json'; draft.rawBody = utf8('{') } },
      { label: 'headers/content-type: JSON body, chunked', apply: (draft) => { draft.headers['content-type'] = 'application/json'; draft.rawBody = utf8('{"a":1}'); draft.chunked = true } }
    )
  }
  return out
}

/** Every mutation of one operation, and how to make its valid drafts. */
export class OperationCases {
  readonly mutations: Mutation[]

  constructor (readonly operation: Operation, limits: CaseLimits) {
    this.mutations = [
      ...queryMutations(operation, limits),
      ...pathMutations(operation),
      ...(operation.body ? [...bodyMutations(operation.body), ...wholeBodyMutations(limits)] : []),
      ...headerMutations(operation, limits)
    ]
  }

  /** A valid draft: canonical values, or random valid ones; `pathValues` fills path parameters (ids that exist). */
  draft (random?: SeededRandom, pathValues: Record<string, string> = {}): Draft {
    const { operation } = this
    const query: Array<[string, string | undefined]> = []
    for (const parameter of operation.query) {
      if (!parameter.required && !(random?.chance(0.5) ?? false)) continue
      query.push([parameter.name, encodeURIComponent(String(validValue(parameter.schema, random)))])
    }
    const draft: Draft = {
      query,
      pathValues: Object.fromEntries(operation.pathParams.map((parameter) => [parameter.name, pathValues[parameter.name] ?? encodeURIComponent(String(validValue(parameter.schema)))])),
      headers: operation.body ? { 'content-type': 'application/json' } : {}
    }
    if (operation.body) draft.body = validValue(operation.body, random)
    return draft
  }

  /** Every mutation once, on the canonical draft, and the canonical draft itself. */
  deterministic (): FuzzRequest[] {
    const requests = [this.request(this.draft(), 'valid (canonical)')]
    for (const mutation of this.mutations) {
      const draft = this.draft()
      mutation.apply(draft)
      requests.push(this.request(draft, mutation.label))
    }
    return requests
  }

  /** A random valid draft with up to two random mutations (none a tenth of the time). */
  random (random: SeededRandom, pathValues: Record<string, string> = {}): FuzzRequest {
    const draft = this.draft(random, pathValues)
    const count = random.chance(0.1) ? 0 : random.chance(0.7) ? 1 : 2
    const labels: string[] = []
    for (let i = 0; i < count; i++) {
      const mutation = random.pick(this.mutations)
      mutation.apply(draft)
      labels.push(mutation.label)
    }
    return this.request(draft, `random valid${labels.length > 0 ? ` + ${labels.join(' + ')}` : ''}`)
  }

  request (draft: Draft, what: string): FuzzRequest {
    const { operation } = this
    const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => draft.pathValues[name] ?? '')
    const query = draft.query.map(([key, value]) => (value === undefined ? key : `${key}=${value}`)).join('&')
    const body = draft.rawBody ?? (operation.body && draft.body !== undefined ? utf8(toJsonText(draft.body)) : undefined)
    return {
      op: operation.key,
      what,
      method: draft.method ?? operation.method,
      path: query ? `${path}?${query}` : path,
      headers: draft.headers,
      ...(body ? { body } : {}),
      ...(draft.chunked ? { chunked: true } : {}),
      ...(draft.mayReset ? { mayReset: true } : {})
    }
  }
}
