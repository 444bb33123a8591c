# syntax=docker/dockerfile:1
# Build stage: compile TypeScript and the native modules (better-sqlite3, ssh2's crypto binding).
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY cmd cmd
COPY lib lib
COPY migrations migrations
RUN npm ci && npm prune --omit=dev

# Runtime stage: the compiled portal only, as an unprivileged user.
FROM node:20-bookworm-slim
# tini as PID 1: Node there reaps no orphans, and the children of a timed-out --acl-check-cmd (killed as a
# process group) stayed zombies, one per timeout.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
RUN groupadd --system sshportal && useradd --system --gid sshportal --home /var/lib/sshportal --create-home sshportal
WORKDIR /app
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json ./
ENV SSHPORTAL_DATABASE_URL=/var/lib/sshportal/sshportal.db \
    SSHPORTAL_LOGS_LOCATION=/var/lib/sshportal/log \
    SSHPORTAL_BIND=:2222
# glibc's malloc keeps freed heap instead of trimming it at once (lib/server/malloc.ts).
ENV MALLOC_TRIM_THRESHOLD_=67108864 \
    MALLOC_TOP_PAD_=16777216
VOLUME ["/var/lib/sshportal"]
USER sshportal
EXPOSE 2222
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "/app/dist/cmd/sshportal.js", "healthcheck", "--quiet", "--addr", "127.0.0.1:2222"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cmd/sshportal.js"]
CMD ["server"]
