# One image for every fleetwave process; docker-compose.yml picks the api, the worker or the
# migration one-shot through `command`. TypeScript runs through tsx (a production dependency).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
# Only the manifests first, so the dependency layers stay cached until they change.
COPY package.json package-lock.json ./

# All dependencies: the toolchain that checks the code before it ships.
FROM base AS deps
RUN npm ci --no-audit --no-fund

# tsx strips types without checking them, so a type error would reach production unnoticed.
# The runtime stage copies its source from here, which makes this check part of every build.
FROM deps AS check
COPY . .
RUN npm run typecheck && rm -rf node_modules test

# Production dependencies only (tsx included), installed from the lockfile alone.
FROM base AS prod-deps
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root: the `node` user can read the app but not rewrite it.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=check /app ./
USER node
# 8080: the API (and its /metrics). 9464, 9465: the worker's metrics (fleetwave_*, temporal_*).
# A read-only root filesystem needs a writable /tmp: tsx keeps its transform cache there.
EXPOSE 8080 9464 9465
# `node --import tsx` rather than the tsx CLI: one process, so signals reach the app directly.
CMD ["node", "--import", "tsx", "api/main.ts"]
