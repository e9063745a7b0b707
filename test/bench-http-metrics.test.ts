/**
 * The request histogram bench P1 tunes (src/metrics/http-metrics.ts): label sets bound at registration, its own
 * observe, 404s recorded by the not-found handler. What /metrics shows must not change with the tuning.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import { Histogram, Registry } from 'prom-client'
import { httpMetrics, LabelSetObserver } from '../src/metrics/http-metrics.js'
import { HTTP_BUCKETS } from '../src/metrics/service-metrics.js'
import { errorHandler } from '../src/plugins/error-handler.js'

async function build (t: { after: (fn: () => Promise<void>) => void }) {
  const registry = new Registry()
  const histogram = new Histogram({ name: 'http_seconds', help: 'x', labelNames: ['method', 'route', 'status_class'], buckets: HTTP_BUCKETS, registers: [registry] })
  const app = Fastify({ logger: false })
  await app.register(httpMetrics, { histogram })
  await app.register(errorHandler, { bodyLimit: 1024 })
  app.get('/a', async () => ({ ok: true }))
  app.get('/items/:id', async (request, reply) => reply.code(Number((request.params as { id: string }).id)).send({}))
  app.route({ method: ['PUT', 'DELETE'], url: '/both', handler: async () => ({}) })
  await app.ready()
  t.after(() => app.close())
  const count = async (labels: Record<string, string>) => {
    const { values } = await histogram.get()
    return values.filter((value) => value.metricName === 'http_seconds_count' && Object.entries(labels).every(([name, label]) => (value.labels as Record<string, string | number>)[name] === label))
      .reduce((sum, value) => sum + value.value, 0)
  }
  return { app, registry, histogram, count }
}

test('one series per method, route pattern and status class; HEAD, 404s and multi-method routes counted once each', async (t) => {
  const { app, count } = await build(t)
  for (let index = 0; index < 3; index++) await app.inject({ method: 'GET', url: '/a' })
  await app.inject({ method: 'HEAD', url: '/a' })
  await app.inject({ method: 'GET', url: '/items/404' })
  await app.inject({ method: 'GET', url: '/items/503' })
  await app.inject({ method: 'PUT', url: '/both' })
  await app.inject({ method: 'DELETE', url: '/both' })
  await app.inject({ method: 'DELETE', url: '/both' })
  const missing = await app.inject({ method: 'GET', url: '/nowhere?x=1' })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().code, 'ROUTE_NOT_FOUND')
  await app.inject({ method: 'POST', url: '/nowhere' })

  assert.equal(await count({ method: 'GET', route: '/a', status_class: '2xx' }), 3)
  assert.equal(await count({ method: 'HEAD', route: '/a', status_class: '2xx' }), 1)
  assert.equal(await count({ method: 'GET', route: '/items/:id', status_class: '4xx' }), 1)
  assert.equal(await count({ method: 'GET', route: '/items/:id', status_class: '5xx' }), 1)
  assert.equal(await count({ method: 'PUT', route: '/both' }), 1)
  assert.equal(await count({ method: 'DELETE', route: '/both' }), 2)
  assert.equal(await count({ route: 'unmatched', status_class: '4xx' }), 2)
  assert.equal(await count({ method: 'POST', route: 'unmatched' }), 1)
  assert.equal(await count({}), 3 + 1 + 1 + 1 + 1 + 2 + 2, 'every request once, none twice')
})

test('label sets bound at registration create no series until a request observes them', async (t) => {
  const { registry } = await build(t)
  const text = await registry.metrics()
  assert.doesNotMatch(text, /http_seconds_count\{/)
})

test('LabelSetObserver gives exactly what prom-client\'s own observe gives, through reset() and remove() too', async () => {
  const make = () => {
    const registry = new Registry()
    const histogram = new Histogram({ name: 'h', help: 'x', labelNames: ['method', 'route', 'status_class'], buckets: HTTP_BUCKETS, registers: [registry] })
    return { registry, histogram }
  }
  const theirs = make()
  const ours = make()
  const labels = (statusClass: string) => ({ method: 'GET', route: '/a', status_class: statusClass })
  const children = { ok: theirs.histogram.labels(labels('2xx')), bad: theirs.histogram.labels(labels('5xx')) }
  const observers = { ok: new LabelSetObserver(ours.histogram, labels('2xx')), bad: new LabelSetObserver(ours.histogram, labels('5xx')) }
  // Bounds themselves (le is inclusive), between them, below the first, above the last.
  const values = [0, 0.00001, HTTP_BUCKETS[0]!, HTTP_BUCKETS[0]! * 1.01, 0.003, 0.3, HTTP_BUCKETS.at(-1)!, HTTP_BUCKETS.at(-1)! * 2, 1e6]
  const feed = (which: 'ok' | 'bad', list: number[]) => {
    for (const value of list) {
      children[which].observe(value)
      observers[which].observe(value)
    }
  }
  const same = async (step: string) => assert.equal(await ours.registry.metrics(), await theirs.registry.metrics(), step)
  assert.equal(observers.ok.direct, false, 'no series before the first observation')
  feed('ok', values)
  assert.equal(observers.ok.direct, true, 'adds to its series directly once the child has made it')
  feed('bad', values.slice(2, 5))
  feed('ok', values)
  await same('after observations')
  assert.match(await ours.registry.metrics(), /h_count\{method="GET",route="\/a",status_class="2xx"\} 18/)
  theirs.histogram.reset()
  ours.histogram.reset()
  assert.equal(observers.ok.direct, false, 'reset() dropped its series')
  feed('ok', values.slice(0, 3))
  await same('after reset()')
  theirs.histogram.remove(labels('2xx'))
  ours.histogram.remove(labels('2xx'))
  feed('bad', [0.01])
  feed('ok', [0.02])
  await same('after remove()')
  assert.throws(() => observers.ok.observe(Number.NaN), /not a valid number/, 'a bad value throws, as prom-client does')
  assert.throws(() => children.ok.observe(Number.NaN), /not a valid number/)
  await same('after a bad value')
})
