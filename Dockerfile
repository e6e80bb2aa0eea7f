# syntax=docker/dockerfile:1
# One image for the three production processes: `node dist/main.js api|ingest|pipeline`.
# The base is pinned to a release (Node 20.19.5, Debian bookworm, released 2025-09): bump it on
# purpose, with the image tags of docker-compose.yml.

FROM node:20.19.5-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web console's sources: `npm run build` builds them into console/dist with Vite.
COPY console ./console
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20.19.5-bookworm-slim
ENV NODE_ENV=production MODE=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/console/dist ./console/dist
COPY --from=build --chown=node:node /app/package.json ./
COPY --chown=node:node prisma ./prisma
COPY --chown=node:node docker/healthcheck.mjs ./docker/healthcheck.mjs
USER node
# HTTP (api, ingest, pipeline), MQTT and MQTT over TLS, then Prometheus /metrics (api, ingest,
# pipeline: a port of its own, never the public one).
EXPOSE 4000 4001 4002 1883 8883 9464 9465 9466
# Liveness for whichever role runs: the script reads the role from the container's command line
# and asks that role's port (PORT, INGEST_PORT, PIPELINE_PORT) for /health. docker-compose.yml
# overrides it per service with /ready (every engine answers).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "docker/healthcheck.mjs"]
ENTRYPOINT ["node", "dist/main.js"]
CMD ["api"]
