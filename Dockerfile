# kube-xds control plane. Sources are TypeScript run directly by Node's type stripping: no
# build step, only production dependencies.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY common ./common
COPY control-plane ./control-plane
COPY envoy-config ./envoy-config
COPY generated ./generated
COPY k8s ./k8s
COPY ops ./ops
COPY pipeline ./pipeline
# Numeric, so Kubernetes can verify runAsNonRoot. Nothing is written at run time, so the root
# filesystem can be read-only.
USER 65532:65532
EXPOSE 18000 18081
ENTRYPOINT ["node", "bin/kube-xds.js"]
CMD ["serve"]
