# One image for every zero-touch process; the compose service picks the entry point.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
USER node
CMD ["npx", "tsx", "workers/worker.ts"]
