import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { HTTPMethods } from 'fastify'
import { documentedRoutes, fastifyPath } from './support/docs-markdown.js'
import { buildTestApp } from './support/app.js'

/** The tags the OpenAPI document groups operations under (src/plugins/swagger.ts), each with a description. */
const TAGS = ['jobs', 'work', 'labs', 'experiments', 'operations']

interface Operation { tags?: string[], summary?: string }
interface OpenApiDocument { paths: Record<string, Record<string, Operation>>, tags?: Array<{ name: string, description?: string }> }

/** Every operation of GET /docs/json, as `METHOD /path` in the docs' form (`GET /jobs/:id`). */
function operations (document: OpenApiDocument): Array<{ route: string, operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${fastifyPath(path)}`, operation })))
}

test('every route of /docs/json is documented in docs/ as `METHOD /path`, and every route documented so exists', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/docs/json' })
  assert.equal(response.statusCode, 200)
  const routes = operations(response.json<OpenApiDocument>()).map(({ route }) => route)
  assert.ok(routes.length >= 20, `only ${routes.length} operations in /docs/json`)
  const documented = documentedRoutes()

  const undocumented = routes.filter((route) => !documented.has(route))
  assert.deepEqual(undocumented, [], 'routes in /docs/json that no page names as `METHOD /path` (docs/api.md has the route table)')

  // Swagger UI's own routes (GET /docs, GET /docs/json) are hidden from the document but exist: ask the router.
  const missing = [...documented].filter(([route]) => {
    const [method, url] = route.split(' ') as [HTTPMethods, string]
    return !app.hasRoute({ method, url })
  }).map(([route, where]) => `${route} (${where.join(', ')})`)
  assert.deepEqual(missing, [], 'routes the docs name that the app does not have')
})

test('every operation has exactly one tag, one of jobs, work, labs, experiments, operations; the document describes each tag', async (t) => {
  const app = await buildTestApp(t)
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApiDocument>()
  const wrong = operations(document)
    .filter(({ operation }) => operation.tags?.length !== 1 || !TAGS.includes(operation.tags[0]!))
    .map(({ route, operation }) => `${route}: ${JSON.stringify(operation.tags)}`)
  assert.deepEqual(wrong, [])
  assert.deepEqual(document.tags?.map((tag) => tag.name), TAGS)
  for (const tag of document.tags!) assert.ok((tag.description ?? '').length > 10, `tag ${tag.name} has a description`)

  // By URL prefix, as the docs' route table says.
  const tagOf = (route: string) => operations(document).find((operation) => operation.route === route)?.operation.tags?.[0]
  assert.equal(tagOf('GET /jobs/:id/events'), 'jobs')
  assert.equal(tagOf('GET /sim/delay'), 'work')
  assert.equal(tagOf('GET /work/hash'), 'work')
  assert.equal(tagOf('DELETE /timers/:id'), 'labs')
  assert.equal(tagOf('POST /labs/race'), 'labs')
  assert.equal(tagOf('POST /experiments/compare'), 'experiments')
  assert.equal(tagOf('GET /metrics'), 'operations')
  assert.equal(tagOf('GET /'), 'operations')
})
