# Multi-stage: build with dev dependencies, run with production dependencies and compiled code only.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY routes ./routes
COPY workers ./workers
RUN npm run build

FROM node:24-bookworm-slim AS runtime
# tini is PID 1: it forwards SIGTERM to the service (graceful shutdown) and reaps the child processes of
# `processes` jobs.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# SHUTDOWN_GRACE_MS: the service's forced exit comes before `docker stop`'s SIGKILL (10 s by default; compose gives
# 15 s), so a shutdown that takes too long still ends as the service's own (logged, and every child killed).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    SHUTDOWN_GRACE_MS=8000
# The pool size defaults to the cores the container may use; set POOL_SIZE (and any limit of the README) with -e.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The web page (/ui/): plain files, served as they are (routes/ui.ts); uPlot comes with the production dependencies
COPY web ./web
# The labs' CPython originals: they run where the image has a python3 (this one has none, and says so)
COPY python ./python
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/server.js"]
