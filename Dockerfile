# The Caisson api and worker image (docker-compose.yml runs both from it).
FROM node:20-bookworm-slim
WORKDIR /opt/caisson
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN bash scripts/db/generate.sh && bash scripts/build.sh
# 0.0.0.0 inside the container; docker-compose.yml publishes the port on the host's 127.0.0.1 only.
ENV CAISSON_HOME=/var/lib/caisson CAISSON_API_HOST=0.0.0.0
EXPOSE 3000
ENTRYPOINT ["node", "bin/caisson.js"]
CMD ["api"]
