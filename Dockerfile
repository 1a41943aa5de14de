# netlens HTTP server image for any container platform (Cloud Run, Fly, Knative, Kubernetes, ECS).
#   docker build -t netlens .            models baked in (npm run models, offline, from npm packages)
#   docker run -p 8080:8080 netlens      PORT is honoured (Cloud Run sets it); SIGTERM drains requests
# Mount your own models instead: docker run -v $PWD/models:/models -e NETLENS_MODELS_DIR=/models netlens
# README "Containers and Cloud Run"; deploy/Dockerfile.lambda and deploy/Dockerfile.gpu are variants.
ARG NODE_VERSION=20.20.2

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 (the webhook job store) compiles its addon against the image's Node headers.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
# The compiled package (dist/), the demo page, the two built-in models; then only runtime dependencies.
RUN npm run build \
  && npm run models \
  && npm prune --omit=dev \
  && rm -f models/onnx/.build.lock

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    NETLENS_MODELS_DIR=/app/models/onnx
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/public/build ./public/build
COPY --from=build /app/models ./models
COPY --from=build /app/node_modules ./node_modules
# The job store's default SQLite file lives beside the models (models/data); give it to the app's user.
RUN mkdir -p /app/models/data && chown node:node /app/models/data
USER node
EXPOSE 8080
# The HTTP thread's old-generation floor: the worker threads get theirs from NETLENS_THREAD_OLD_SPACE_MIB;
# V8 reads the main thread's only from the command line (docs/performance.md, "Garbage collection").
CMD ["node", "--initial-old-space-size=128", "bin/netlens.js", "serve"]
