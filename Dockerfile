# One image for the four services; the command picks the service:
#   docker run kera-webhooks gateway|workflow|dispatcher|audit
# or runs the operator CLI: docker run kera-webhooks kera migrate
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/tools/register.js ./tools/register.js
COPY --from=build /app/tools/kera.js ./tools/kera.js
# The dashboard's static page is read from the source tree (the build does not copy it).
COPY --from=build /app/apps/gateway/src/dashboard/public ./apps/gateway/src/dashboard/public
COPY --from=build /app/deploy/docker-entrypoint.sh /usr/local/bin/kera-service
USER node
ENTRYPOINT ["kera-service"]
CMD ["gateway"]
