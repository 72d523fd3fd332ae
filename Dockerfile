# One image for every Asky process. By default a replica: the gateway with the three
# subgraphs in one process; the split topology picks each service's entry with `command`.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json codegen.ts ./
COPY prisma ./prisma
COPY packages ./packages
COPY subgraphs ./subgraphs
COPY supergraph ./supergraph
COPY init-db ./init-db
# npm ci runs `prisma generate` (postinstall); the build compiles every package to dist/.
# Then only what the processes run stays: the prune drops dev packages and the optional
# ones (the prisma CLI and typescript, optional peers of @prisma/client; PGlite, which
# only `npm start` uses), and the compiled tests and test harness go (image.test.ts
# checks that no entry of the image loads any of it).
RUN npm ci --no-audit --no-fund && npm run build \
  && npm prune --omit=dev --omit=optional --no-audit --no-fund \
  && rm -rf packages/testing/dist packages/e2e/dist packages/shared/dist/__tests__ subgraphs/auth/dist/src/__tests__ subgraphs/pyxis/dist/src/__tests__ subgraphs/request/dist/src/__tests__ supergraph/dist/src/__tests__ packages/launcher/dist/src/embedded.* \
  && find . -name '*.tsbuildinfo' -not -path './node_modules/*' -delete

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# Every process drains in-flight work on SIGTERM (SHUTDOWN_TIMEOUT_MS) before exiting.
STOPSIGNAL SIGTERM
WORKDIR /app
COPY --from=build --chown=node:node /app ./
# auth's signing keys live here (a volume in docker-compose.yaml)
RUN mkdir -p /app/.asky/keys && chown -R node:node /app/.asky
USER node
EXPOSE 4000 4001 4002 4003
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.HEALTH_PORT || 4000) + '/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "packages/launcher/dist/src/replica.js"]
