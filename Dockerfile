# One image for every Keywatch service and the CLI: `docker run keywatch:local run <service>`.
FROM node:24.11-bookworm-slim
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN npm install -g pnpm@10.34.8
WORKDIR /app
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY patches ./patches
COPY packages ./packages
COPY services ./services
COPY infra ./infra
COPY test/package.json ./test/package.json
COPY bench/package.json ./bench/package.json
COPY tools/console-screenshots/package.json ./tools/console-screenshots/package.json
RUN pnpm install --frozen-lockfile --prod=false
# The console's single-page app, built once into services/console/web/dist.
RUN pnpm --filter @keywatch/console exec vite build web
USER node
ENTRYPOINT ["node", "--enable-source-maps", "--import", "tsx", "packages/cli/src/main.ts"]
