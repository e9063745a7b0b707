/**
 * The fields of an object that a compiled JSON-schema validator (kubernetes-models' `validate()`) never read: the
 * unknown fields — typos such as `livenesProbe` — that the API server's strict field validation refuses (kubectl's
 * default since 1.27) but that pass `validate()`, because Kubernetes' OpenAPI schemas allow additional properties.
 *
 * How: the object is wrapped in proxies that record which properties the validator reads.
 *   - an object the validator never opened has a schema that takes anything (x-kubernetes-preserve-unknown-fields):
 *     not checked;
 *   - an object whose keys it listed (`for…in`, for a map such as `labels`) takes any key: not checked;
 *   - in any other object, a key the validator never read is a field its schema does not have.
 */
type Validate = (this: unknown) => void

interface Visit { read: Set<PropertyKey>, listed: boolean }

export function unreadFields (validate: Validate, value: unknown): string[] {
  const visits = new Map<object, Visit>()
  const track = (target: unknown): unknown => {
    if (target === null || typeof target !== 'object') return target
    const visit: Visit = { read: new Set(), listed: false }
    visits.set(target, visit)
    const children = new Map<PropertyKey, unknown>()
    return new Proxy(target, {
      get (object, key, receiver) {
        visit.read.add(key)
        const child = Reflect.get(object, key, receiver) as unknown
        if (child === null || typeof child !== 'object') return child
        if (!children.has(key)) children.set(key, track(child))
        return children.get(key)
      },
      has (object, key) {
        visit.read.add(key)
        return Reflect.has(object, key)
      },
      ownKeys (object) {
        visit.listed = true
        return Reflect.ownKeys(object)
      },
      getOwnPropertyDescriptor (object, key) {
        visit.read.add(key)
        return Reflect.getOwnPropertyDescriptor(object, key)
      }
    })
  }
  validate.call(track(value))

  const unread: string[] = []
  const walk = (node: unknown, path: string): void => {
    if (node === null || typeof node !== 'object') return
    const visit = visits.get(node)
    if (!visit || visit.read.size === 0 || visit.listed) return // never opened, or a map
    for (const [key, child] of Object.entries(node)) {
      const childPath = Array.isArray(node) ? `${path}[${key}]` : `${path}.${key}`
      if (!Array.isArray(node) && !visit.read.has(key)) unread.push(childPath)
      else walk(child, childPath)
    }
  }
  walk(value, '')
  return unread.map((path) => path.replace(/^\./, ''))
}
