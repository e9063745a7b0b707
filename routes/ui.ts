import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, RouteOptions } from 'fastify'

/** Where the page is served; `/` sends a browser here (routes/root.ts). */
export const UI_PATH = '/ui/'

/**
 * web/ from this file: routes/ui.ts under tsx, dist/routes/ui.js compiled (the page is plain files: nothing to build,
 * so it is read from the source tree either way). Undefined when neither exists (an image built without web/).
 */
function webRoot (): string | undefined {
  return ['../web/', '../../web/']
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((candidate) => existsSync(`${candidate}index.html`))
}

/** uPlot's dist/ in node_modules: the chart library is served by the service, so the page works offline. */
const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot'))
const VENDOR_FILES = { 'uPlot.iife.min.js': 'uPlot.iife.min.js', 'uPlot.min.css': 'uPlot.min.css' } as const

/**
 * The page's own answers: no inline script, API calls to this origin only; charts draw on canvas (uPlot styles its
 * elements from script, hence 'unsafe-inline' for styles), the favicon is a data: URL.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/**
 * GET /ui/ — the web page (issue 13, docs/web.md): static HTML, CSS and ES modules from web/, and uPlot from
 * node_modules. The files hold no data, so they are open whatever API_TOKEN says (`auth: 'public'`); the page's
 * own API calls carry the token. Hidden from the OpenAPI document, as Swagger UI's files are.
 */
export default async function uiRoutes (app: FastifyInstance): Promise<void> {
  const root = webRoot()
  if (root === undefined) {
    app.log.warn('web/ not found next to the service: the page at /ui/ is not served')
    return
  }
  // Scoped to this plugin: only the page's routes become public (@fastify/static takes no route config of its own,
  // and hides its routes from the OpenAPI document by itself).
  app.addHook('onRoute', (routeOptions: RouteOptions) => {
    routeOptions.config = { ...routeOptions.config, auth: 'public' }
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', CSP)
    reply.header('x-content-type-options', 'nosniff')
    return payload
  })
  // prefix without its slash: GET /ui redirects to /ui/ (301), GET /ui/* serves web/, /ui/ its index.html
  await app.register(fastifyStatic, { root, prefix: UI_PATH.slice(0, -1), redirect: true, index: 'index.html', decorateReply: true })
  for (const [name, file] of Object.entries(VENDOR_FILES)) {
    app.get(`${UI_PATH}vendor/${name}`, { schema: { hide: true }, config: { auth: 'public' } }, (_request, reply) => reply.header('cache-control', 'public, max-age=86400').sendFile(file, uplotDist))
  }
}
