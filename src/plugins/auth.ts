import bearerAuth from '@fastify/bearer-auth'
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { ReadOnly, Unauthorized } from '../errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Who may call the route when a token is set. Unset: API_TOKEN. `public`: anyone (the probes; swagger.ts marks
     * the Swagger UI and its document). `metrics`: API_TOKEN or METRICS_TOKEN (GET /metrics).
     */
    auth?: 'public' | 'metrics'
    /** READ_ONLY refuses this GET route too: it takes cores, memory or a connection for a while (GET /work, /sim). */
    burnsCpu?: boolean
  }
}

type TokenVariable = 'API_TOKEN' | 'METRICS_TOKEN'
type RouteAccess = NonNullable<FastifyContextConfig['auth']> | 'api'
const TOKENS_OF: Record<RouteAccess, readonly TokenVariable[]> = {
  public: [],
  metrics: ['API_TOKEN', 'METRICS_TOKEN'],
  api: ['API_TOKEN']
}

const accessOf = (routeConfig: FastifyContextConfig | undefined): RouteAccess => routeConfig?.auth ?? 'api'
const setTokens = (config: Config, routeAccess: RouteAccess) => TOKENS_OF[routeAccess].filter((variable) => config[variable] !== undefined)

/** The variables whose tokens a route accepts, of those that are set; none: the route is open. */
export function tokenVariables (config: Config, routeConfig: FastifyContextConfig | undefined): TokenVariable[] {
  return setTokens(config, accessOf(routeConfig))
}

const SAFE_METHODS = new Set(['GET', 'HEAD'])

/**
 * The read-only rule: every method but GET and HEAD changes state or burns CPU, and so does a GET route marked
 * `burnsCpu` where it is defined. A new POST or DELETE route is refused without anyone remembering it. (Fastify's
 * HEAD route of a GET route copies its config, marker included.)
 */
export function refusedWhenReadOnly (method: string, routeConfig: FastifyContextConfig | undefined): boolean {
  return !SAFE_METHODS.has(method) || routeConfig?.burnsCpu === true
}

const REALM = 'Bearer realm="concurrency-lab"'

/**
 * Optional access control (issue 11; the model is docs/security.md). Nothing is added unless API_TOKEN,
 * METRICS_TOKEN or READ_ONLY is set, so the default service pays nothing per request. Each request is decided from
 * its route's own config (the markers above), in one onRequest hook, before its body is read:
 *
 *   1. the token: a route that accepts tokens (tokenVariables) needs `Authorization: Bearer <token>`, compared in
 *      constant time by @fastify/bearer-auth; else 401 UNAUTHORIZED with `WWW-Authenticate: Bearer` (RFC 6750);
 *   2. then read-only: 403 READ_ONLY for what refusedWhenReadOnly says. Second, so a caller without the token learns
 *      nothing about a route. A URL that matches no route gets its 404 (after the token).
 *
 * Registered before any route, the Swagger UI's included (a hook applies to the routes registered after it).
 */
export const access = fp(async function access (app: FastifyInstance, options: { config: Config }) {
  const { config } = options
  const readOnly = config.READ_ONLY === 'true'
  if (config.API_TOKEN === undefined && config.METRICS_TOKEN === undefined && !readOnly) return

  // addHook false: no hook of its own (it would cover every route), only its verifier factory; a verifier calls back.
  await app.register(bearerAuth, { keys: [], addHook: false })
  type Verify = ReturnType<NonNullable<FastifyInstance['verifyBearerAuthFactory']>>
  const gates = new Map<RouteAccess, { variables: TokenVariable[], verify: Verify }>()
  for (const routeAccess of Object.keys(TOKENS_OF) as RouteAccess[]) {
    const variables = setTokens(config, routeAccess)
    if (variables.length === 0) continue
    const verify = app.verifyBearerAuthFactory!({
      keys: variables.map((variable) => config[variable]!),
      addHook: false,
      // A refused request is logged at info, as request lines are (never its token).
      verifyErrorLogLevel: 'info'
    })
    gates.set(routeAccess, { variables, verify })
  }

  const checkReadOnly = (request: FastifyRequest, done: (error?: Error) => void) => {
    const route = request.routeOptions.url
    if (readOnly && route !== undefined && refusedWhenReadOnly(request.method, request.routeOptions.config)) {
      done(new ReadOnly(request.method, route))
    } else {
      done()
    }
  }

  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    const gate = gates.get(accessOf(request.routeOptions.config))
    if (!gate) return checkReadOnly(request, done)
    gate.verify(request, reply, (error?: Error) => {
      if (!error) return checkReadOnly(request, done)
      const missing = request.headers.authorization === undefined
      reply.header('www-authenticate', missing ? REALM : `${REALM}, error="invalid_token"`)
      done(new Unauthorized(missing ? 'no Authorization header' : 'the Authorization header is not Bearer <a valid token>', gate.variables.join(' or ')))
    })
  })
}, { name: 'access' })
