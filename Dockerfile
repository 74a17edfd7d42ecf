FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV HOST=0.0.0.0 PORT=4000 CASCADE_HOME=/data
VOLUME /data
EXPOSE 4000
# One process, so SIGTERM (docker stop) and SIGHUP (reload the pipelines) reach the gateway itself.
CMD ["node", "--import", "tsx", "src/main.ts"]
