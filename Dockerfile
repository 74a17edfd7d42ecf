FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm install --no-save tsx
COPY . .
ENV HOST=0.0.0.0 PORT=4000 CASCADE_HOME=/data
VOLUME /data
EXPOSE 4000
CMD ["npx", "tsx", "src/main.ts"]
