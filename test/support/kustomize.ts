import { execFileSync } from 'node:child_process'
import { parseAllDocuments } from 'yaml'

/** A rendered Kubernetes object, as far as the tests read it; the schemas check the rest. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string, namespace?: string, labels?: Record<string, string> }
  spec?: Record<string, unknown>
}

/** `kubectl kustomize <dir>` (offline: no cluster needed) and its objects, in the order it prints them. */
export function kustomize (dir: string): KubeObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] })
  return parseAllDocuments(yaml).map((document) => {
    if (document.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: ${document.errors.join('; ')}`)
    return document.toJS() as KubeObject
  })
}

const BINARY = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 } as const
const DECIMAL = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 } as const

/** A resource quantity ("2", "1500m", "4Gi", "512M") as a number of its base unit (cores, bytes). */
export function quantity (value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|m|k|M|G|T)?$/.exec(String(value))
  if (!match) throw new Error(`not a quantity: ${value}`)
  const suffix = match[2] ?? ''
  const scale = suffix in BINARY ? BINARY[suffix as keyof typeof BINARY] : DECIMAL[suffix as keyof typeof DECIMAL]
  return Number(match[1]) * scale
}

/** Whether a label selector's matchLabels (the only form these manifests use) select these labels. */
export function selects (selector: { matchLabels?: Record<string, string>, matchExpressions?: unknown[] }, labels: Record<string, string> = {}): boolean {
  if (selector.matchExpressions !== undefined) throw new Error('matchExpressions are not evaluated here')
  const wanted = Object.entries(selector.matchLabels ?? {})
  return wanted.length > 0 && wanted.every(([key, value]) => labels[key] === value)
}
