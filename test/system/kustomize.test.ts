/**
 * deploy/kustomize/ (docs/kubernetes.md): both overlays render offline with `kubectl kustomize`, every rendered
 * object validates against its schema — Kubernetes' (kubernetes-models) or the prometheus-operator's — with no
 * unknown field, and the manifests keep the choices the docs explain: one replica or three, the probes, whole cores
 * with POOL_SIZE from them, non-root, a grace period longer than the service's own shutdown grace (read from
 * src/config.ts), no HPA unless its component is added, a PDB and a PodMonitor that select the service's pods.
 * There is no cluster here: nothing is applied.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import type { IContainer } from 'kubernetes-models/v1/Container'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec'
import { Service } from 'kubernetes-models/v1/Service'
import { ConfigSchema, loadConfig } from '../../src/config.js'
import { external } from '../support/external.js'
import { kustomize, quantity, selects, type KubeObject } from '../support/kustomize.js'
import { unreadFields } from '../support/unread-fields.js'

const kubectl = external('kubectl')
const deployDir = fileURLToPath(new URL('../../deploy/kustomize/', import.meta.url))
const REPLICAS = { single: 1, cluster: 3 } as const
type Overlay = keyof typeof REPLICAS
const OVERLAYS = Object.keys(REPLICAS) as Overlay[]

interface Model { validate (): void }
/** Every kind the manifests may hold, with its schema: a kind missing here fails, so nothing goes unvalidated. */
const MODELS: Record<string, { new (data: never): Model, prototype: Model }> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor
}

const renders = new Map<string, KubeObject[]>()
function render (overlay: Overlay): KubeObject[] {
  const dir = join(deployDir, 'overlays', overlay)
  if (!renders.has(dir)) renders.set(dir, kustomize(dir))
  return renders.get(dir)!
}

function find<T> (objects: KubeObject[], Kind: { new (data: never): T, kind: string }, name: string): T {
  const found = objects.filter((object) => object.kind === Kind.kind && object.metadata.name === name)
  assert.equal(found.length, 1, `one ${Kind.kind} ${name}`)
  return new Kind(found[0] as never)
}

const deploymentOf = (overlay: Overlay, name: string) => find(render(overlay), Deployment, name)
const podSpecOf = (overlay: Overlay, name: string): IPodSpec => deploymentOf(overlay, name).spec!.template.spec!
const podLabelsOf = (overlay: Overlay, name: string): Record<string, string> => deploymentOf(overlay, name).spec!.template.metadata!.labels!
function containerOf (overlay: Overlay, deployment: string, name: string): IContainer {
  const container = podSpecOf(overlay, deployment).containers.find((candidate) => candidate.name === name)
  assert.ok(container, `container ${name} in ${deployment}`)
  return container
}

/** The environment the kubelet gives the service's container: literal values, and the references resolved. */
function serviceEnv (overlay: Overlay, podName: string): NodeJS.ProcessEnv {
  const container = containerOf(overlay, 'concurrency-lab', 'app')
  const env: NodeJS.ProcessEnv = {}
  for (const variable of container.env ?? []) {
    const field = variable.valueFrom?.resourceFieldRef
    if (variable.value !== undefined) env[variable.name] = variable.value
    else if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[variable.name] = podName
    else if (field !== undefined) {
      const owner = field.containerName === undefined ? container : containerOf(overlay, 'concurrency-lab', field.containerName)
      const [kind, resource] = field.resource.split('.') as ['requests' | 'limits', string]
      // The kubelet rounds up: 1500m with divisor 1 is 2.
      env[variable.name] = String(Math.ceil(quantity(owner.resources![kind]![resource]!) / quantity(field.divisor ?? 1)))
    } else assert.fail(`${variable.name}: a reference this test does not resolve`)
  }
  return env
}

/** Seconds a preStop hook holds the container before SIGTERM (sleep, as an exec or the native sleep action). */
function preStopSeconds (container: IContainer): number {
  const preStop = container.lifecycle?.preStop
  if (preStop === undefined) return 0
  if (preStop.sleep !== undefined) return preStop.sleep.seconds
  const command = preStop.exec?.command ?? []
  assert.equal(command[0], 'sleep', `a preStop hook this test can time: ${command.join(' ')}`)
  return Number(command[1])
}

test('both overlays render offline, and every object validates against its schema with no unknown field', { skip: kubectl.skip }, () => {
  for (const overlay of OVERLAYS) {
    const objects = render(overlay)
    assert.deepEqual(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort(), [
      'Deployment/concurrency-lab', 'Deployment/redis', `Namespace/conclab-${overlay}`, 'NetworkPolicy/redis',
      'PodDisruptionBudget/concurrency-lab', 'PodMonitor/concurrency-lab', 'Service/concurrency-lab', 'Service/redis'
    ], overlay)
    for (const object of objects) {
      const what = `${overlay}: ${object.kind} ${object.metadata.name}`
      const Model = MODELS[`${object.apiVersion}/${object.kind}`]
      assert.ok(Model, `${what}: no schema for ${object.apiVersion}`)
      assert.doesNotThrow(() => new Model(object as never).validate(), what)
      // The API server refuses unknown fields (strict field validation); validate() lets them through.
      assert.deepEqual(unreadFields(Model.prototype.validate, object), [], `${what}: fields its schema does not have`)
      if (object.kind !== 'Namespace') assert.equal(object.metadata.namespace, `conclab-${overlay}`, what)
    }
  }
})

test('single runs one replica and cluster three; otherwise the two overlays are the same', { skip: kubectl.skip }, () => {
  const normalized = (overlay: Overlay) => JSON.parse(JSON.stringify(render(overlay))
    .replaceAll(`conclab-${overlay}`, 'NAMESPACE')) as KubeObject[]
  for (const overlay of OVERLAYS) assert.equal(deploymentOf(overlay, 'concurrency-lab').spec!.replicas, REPLICAS[overlay], overlay)
  const [single, cluster] = [normalized('single'), normalized('cluster')]
  const app = (objects: KubeObject[]) => objects.find((object) => object.kind === 'Deployment' && object.metadata.name === 'concurrency-lab')!
  app(cluster).spec!.replicas = app(single).spec!.replicas
  assert.deepEqual(cluster, single)
  assert.equal(deploymentOf('cluster', 'redis').spec!.replicas, 1, 'one Redis whatever the replicas')
})

test('the service\'s container: probes, port, whole cores with POOL_SIZE from them, memory, REPLICA_ID, REDIS_URL', { skip: kubectl.skip }, () => {
  for (const overlay of OVERLAYS) {
    const container = containerOf(overlay, 'concurrency-lab', 'app')
    assert.equal(container.image, 'concurrency-lab:latest')
    assert.equal(container.imagePullPolicy, 'IfNotPresent', 'no registry to pull `latest` from')
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: 3000, protocol: 'TCP' }])
    assert.deepEqual(container.livenessProbe?.httpGet && { path: container.livenessProbe.httpGet.path, port: container.livenessProbe.httpGet.port }, { path: '/healthz', port: 'http' })
    assert.deepEqual(container.readinessProbe?.httpGet && { path: container.readinessProbe.httpGet.path, port: container.readinessProbe.httpGet.port }, { path: '/readyz', port: 'http' })
    assert.equal(container.startupProbe?.httpGet?.path, '/healthz')

    // Whole cores, requests = limits (Guaranteed QoS: the static CPU manager can give the pod its cores).
    const { requests, limits } = container.resources!
    const cores = quantity(requests!.cpu!)
    assert.ok(Number.isInteger(cores) && cores >= 1, `requests.cpu ${requests!.cpu} is a whole number of cores`)
    assert.equal(quantity(limits!.cpu!), cores, 'limits.cpu = requests.cpu')
    const memory = quantity(requests!.memory!)
    assert.equal(quantity(limits!.memory!), memory, 'limits.memory = requests.memory')

    const poolSize = container.env!.find((variable) => variable.name === 'POOL_SIZE')
    assert.deepEqual(poolSize?.valueFrom?.resourceFieldRef, { containerName: 'app', resource: 'requests.cpu', divisor: '1' })
    assert.deepEqual(container.env!.find((variable) => variable.name === 'REPLICA_ID')?.valueFrom?.fieldRef, { fieldPath: 'metadata.name' })

    // The configuration the pod starts with passes the service's own schema, with the values the manifests mean.
    const config = loadConfig({}, serviceEnv(overlay, 'concurrency-lab-5d8f7c9b6-x7k2p'))
    assert.equal(config.POOL_SIZE, cores, 'one pool thread per requested core')
    assert.ok(config.PRESSURE_MAX_RSS_BYTES > 0 && config.PRESSURE_MAX_RSS_BYTES < memory, 'load shedding starts below the memory limit')
    assert.equal(config.HOST, '0.0.0.0')
    assert.equal(config.PORT, 3000)

    // REDIS_URL is the Redis Service, which reaches the Redis pods' port.
    const redisUrl = new URL(serviceEnv(overlay, 'pod').REDIS_URL!)
    const redis = find(render(overlay), Service, redisUrl.hostname)
    const redisPort = redis.spec!.ports!.find((port) => port.port === Number(redisUrl.port))
    assert.ok(redisPort, `${redisUrl.href}: a port of Service ${redis.metadata!.name}`)
    assert.ok(selects({ matchLabels: redis.spec!.selector }, podLabelsOf(overlay, 'redis')), 'the Redis Service selects the Redis pods')
    assert.ok(containerOf(overlay, 'redis', 'redis').ports!.some((port) => port.name === redisPort.targetPort), 'its targetPort is a port of Redis')

    // The service's Service reaches the http port of the service's pods, and no Redis pod.
    const service = find(render(overlay), Service, 'concurrency-lab')
    assert.ok(selects({ matchLabels: service.spec!.selector }, podLabelsOf(overlay, 'concurrency-lab')))
    assert.ok(!selects({ matchLabels: service.spec!.selector }, podLabelsOf(overlay, 'redis')))
    assert.deepEqual(service.spec!.ports!.map((port) => port.targetPort), ['http'])
  }
})

test('a stopping pod has longer than the service\'s shutdown grace (read from src/config.ts)', { skip: kubectl.skip }, (t) => {
  const schemaDefault = Number((ConfigSchema.properties.SHUTDOWN_GRACE_MS as { default?: unknown }).default)
  // What the image sets, if it does (ENV in the Dockerfile's runtime stage), applies when the manifest sets nothing.
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')
  const imageValue = /\bSHUTDOWN_GRACE_MS=(\d+)/.exec(dockerfile.slice(dockerfile.lastIndexOf('FROM ')))?.[1]
  for (const overlay of OVERLAYS) {
    const pod = podSpecOf(overlay, 'concurrency-lab')
    const env = serviceEnv(overlay, 'pod')
    const graceMs = env.SHUTDOWN_GRACE_MS !== undefined
      ? loadConfig({}, env).SHUTDOWN_GRACE_MS
      : Math.max(loadConfig({}, env).SHUTDOWN_GRACE_MS, Number(imageValue ?? 0))
    if (env.SHUTDOWN_GRACE_MS === undefined) assert.equal(loadConfig({}, env).SHUTDOWN_GRACE_MS, schemaDefault)
    const preStop = preStopSeconds(containerOf(overlay, 'concurrency-lab', 'app'))
    const grace = pod.terminationGracePeriodSeconds!
    t.diagnostic(`${overlay}: terminationGracePeriodSeconds ${grace} s > preStop ${preStop} s + SHUTDOWN_GRACE_MS ${graceMs} ms (schema default ${schemaDefault}, image ${imageValue ?? 'unset'})`)
    assert.ok(grace > preStop + graceMs / 1000, `${overlay}: ${grace} s must exceed ${preStop} s + ${graceMs / 1000} s`)
  }
})

test('every pod runs as non-root and meets Pod Security "restricted"; the service writes only to an emptyDir at /tmp', { skip: kubectl.skip }, () => {
  for (const overlay of OVERLAYS) {
    const objects = render(overlay)
    assert.equal(find(objects, Namespace, `conclab-${overlay}`).metadata!.labels!['pod-security.kubernetes.io/enforce'], 'restricted')
    for (const object of objects.filter((candidate) => candidate.kind === 'Deployment')) {
      const name = object.metadata.name
      const pod = podSpecOf(overlay, name)
      const what = `${overlay}: ${name}`
      assert.equal(pod.securityContext?.runAsNonRoot, true, what)
      assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, `${what}: a non-root uid`)
      assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', what)
      assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC, `${what}: no host namespaces`)
      assert.equal(pod.automountServiceAccountToken, false, `${what}: no API token`)
      for (const volume of pod.volumes ?? []) assert.ok(volume.emptyDir ?? volume.configMap ?? volume.secret, `${what}: volume ${volume.name} is not a host path`)
      for (const container of [...pod.initContainers ?? [], ...pod.containers]) {
        const security = container.securityContext
        assert.equal(security?.allowPrivilegeEscalation, false, `${what}/${container.name}`)
        assert.ok(security?.capabilities?.drop?.includes('ALL'), `${what}/${container.name}: drops ALL capabilities`)
        assert.deepEqual(security?.capabilities?.add ?? [], [], `${what}/${container.name}: adds none`)
        assert.notEqual(security?.privileged, true, `${what}/${container.name}`)
        assert.equal(security?.readOnlyRootFilesystem, true, `${what}/${container.name}`)
      }
    }
    assert.equal(podSpecOf(overlay, 'concurrency-lab').securityContext!.runAsUser, 1000, 'the image\'s node user')
    const app = containerOf(overlay, 'concurrency-lab', 'app')
    const tmp = app.volumeMounts!.find((mount) => mount.mountPath === '/tmp')
    const volume = podSpecOf(overlay, 'concurrency-lab').volumes!.find((candidate) => candidate.name === tmp?.name)
    assert.ok(volume?.emptyDir, 'the file workload\'s os.tmpdir() is an emptyDir')
    assert.notEqual(volume.emptyDir.medium, 'Memory', 'on disk, so that fsync means what it does on a disk')
  }
})

test('the PodMonitor scrapes every replica\'s /metrics on its http port, named by its pod', { skip: kubectl.skip }, () => {
  for (const overlay of OVERLAYS) {
    const monitor = find(render(overlay), PodMonitor, 'concurrency-lab')
    assert.ok(selects(monitor.spec.selector, podLabelsOf(overlay, 'concurrency-lab')), `${overlay}: selects the service's pods`)
    assert.ok(!selects(monitor.spec.selector, podLabelsOf(overlay, 'redis')), `${overlay}: not Redis`)
    const [endpoint] = monitor.spec.podMetricsEndpoints
    assert.equal(monitor.spec.podMetricsEndpoints.length, 1)
    assert.equal(endpoint!.port, 'http')
    assert.equal(endpoint!.path, '/metrics')
    assert.ok(containerOf(overlay, 'concurrency-lab', 'app').ports!.some((port) => port.name === endpoint!.port))
    assert.ok(endpoint!.relabelings?.some((rule) => rule.targetLabel === 'instance' && rule.sourceLabels?.join() === '__meta_kubernetes_pod_name'),
      'instance = the pod name (REPLICA_ID), as the dashboard and byReplica show it')
  }
})

test('the PodDisruptionBudget selects the service\'s pods, and only them', { skip: kubectl.skip }, () => {
  for (const overlay of OVERLAYS) {
    const budget = find(render(overlay), PodDisruptionBudget, 'concurrency-lab')
    assert.ok(selects(budget.spec!.selector!, podLabelsOf(overlay, 'concurrency-lab')), overlay)
    assert.ok(!selects(budget.spec!.selector!, podLabelsOf(overlay, 'redis')), overlay)
    assert.equal(budget.spec!.maxUnavailable, 1, 'one replica at a time, and never a blocked drain with one replica')
    assert.equal(budget.spec!.minAvailable, undefined)
  }
})

test('Redis keeps nothing on disk and only the service\'s pods may connect to it', { skip: kubectl.skip }, () => {
  for (const overlay of OVERLAYS) {
    const args = containerOf(overlay, 'redis', 'redis').args!
    const option = (name: string) => args[args.indexOf(name) + 1]
    assert.equal(option('--save'), '', 'no RDB snapshots')
    assert.equal(option('--appendonly'), 'no', 'no AOF')
    assert.equal(option('--maxmemory-policy'), 'noeviction', 'BullMQ loses jobs to eviction')
    const policy = find(render(overlay), NetworkPolicy, 'redis')
    assert.ok(selects(policy.spec!.podSelector, podLabelsOf(overlay, 'redis')))
    const from = policy.spec!.ingress!.flatMap((rule) => rule.from ?? [])
    assert.ok(from.length > 0 && from.every((peer) => peer.podSelector && selects(peer.podSelector, podLabelsOf(overlay, 'concurrency-lab'))))
  }
})

test('no HPA in either overlay; the opt-in component adds one for the service\'s Deployment', { skip: kubectl.skip }, (t) => {
  for (const overlay of OVERLAYS) {
    assert.deepEqual(render(overlay).filter((object) => object.kind === 'HorizontalPodAutoscaler'), [], `${overlay}: scaling would change N mid-benchmark`)
  }
  // The overlay of one's own that docs/kubernetes.md shows, in a temp dir (kustomize takes relative paths only).
  const dir = mkdtempSync(join(tmpdir(), 'conclab-kustomize-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'kustomization.yaml'), [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'namespace: conclab-cluster',
    `resources: [${relative(dir, join(deployDir, 'overlays', 'cluster'))}]`,
    `components: [${relative(dir, join(deployDir, 'components', 'hpa'))}]`
  ].join('\n'))
  const objects = kustomize(dir)
  const hpa = find(objects, HorizontalPodAutoscaler, 'concurrency-lab')
  hpa.validate()
  assert.deepEqual(unreadFields(HorizontalPodAutoscaler.prototype.validate, hpa.toJSON()), [])
  assert.deepEqual(hpa.spec!.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'concurrency-lab' })
  assert.equal(hpa.metadata!.namespace, 'conclab-cluster')
  assert.ok(hpa.spec!.minReplicas! >= REPLICAS.cluster, 'never below the cluster overlay\'s replicas')
  assert.equal(find(objects, Deployment, 'concurrency-lab').spec!.replicas, undefined, 'the HPA owns the count: kubectl apply would reset it')
  assert.equal(objects.length, render('cluster').length + 1, 'the component adds the HPA and nothing else')
})
