# One multi-target Dockerfile for every program of the platform:
#
#   docker build --target queue -t cc/queue:latest .
#   docker build --target ccctl -t cc/ccctl:latest .
#   docker build --build-arg VERSION="$(git describe --always --dirty)" --target gateway .
#
# `build` compiles everything once (make MODE=release all); `runtime` is a
# slim Debian with only the shared libraries the programs load; each final
# stage (gateway ingress queue presence media calllog ccctl) adds one binary.
# docker-compose.yml and deploy/k8s/ use these targets. Configuration is by
# environment variables only (README.md, "Configuration").

# --- build ------------------------------------------------------------------
FROM debian:12 AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential pkg-config git ca-certificates \
        libnats-dev libmicrohttpd-dev libhiredis-dev \
        libprotobuf-c-dev protobuf-c-compiler \
        libsrtp2-dev libssl-dev libjansson-dev libwslay-dev \
        libsofia-sip-ua-dev libqrencode-dev libopus-dev libpq-dev libargon2-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# .git is not in the build context (.dockerignore), so the Makefile cannot run
# `git describe`: the version comes from this argument instead.
ARG VERSION=0.1.0
RUN make MODE=release VERSION="$VERSION" -j"$(nproc)" all \
    && ls -l build/release/bin/

# --- runtime base -----------------------------------------------------------
FROM debian:12-slim AS runtime
ENV DEBIAN_FRONTEND=noninteractive
# Only the runtime libraries (sofia-sip for ingress's SIP stack; some are for
# the work still to come: srtp2, qrencode, opus) plus curl for health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libnats3.4 libmicrohttpd12 libhiredis0.14 libprotobuf-c1 \
        libsrtp2-1 libssl3 libjansson4 libwslay1 libsofia-sip-ua0 \
        libqrencode4 libopus0 libpq5 libargon2-1 \
        ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 cc \
    && useradd --system --uid 10001 --gid cc --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin cc \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/cc/recordings
# ccctl (status, ping, apply) is in every image, for `docker compose exec`
# and `kubectl exec`.
COPY --from=build /src/build/release/bin/ccctl /usr/local/bin/ccctl
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /
ENV CC_LOG_LEVEL=info
# The services stop cleanly (drain NATS, finish handlers) on SIGTERM.
STOPSIGNAL SIGTERM

# --- one stage per program --------------------------------------------------
FROM runtime AS gateway
COPY --from=build /src/build/release/bin/gateway /usr/local/bin/gateway
COPY --from=build /src/services/gateway/web /srv/web
ENV CC_WEB_ROOT=/srv/web CC_HTTP_ADDR=0.0.0.0 CC_HTTP_PORT=8080
EXPOSE 8080
# Liveness only (answered from memory); /readyz (this gateway can serve:
# NATS, Redis, a queue and a presence instance) is for load balancers and the
# Kubernetes readiness probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${CC_HTTP_PORT:-8080}/healthz" || exit 1
ENTRYPOINT ["/usr/local/bin/gateway"]

FROM runtime AS ingress
COPY --from=build /src/build/release/bin/ingress /usr/local/bin/ingress
# SIP from the carrier trunk (arrives with the SIP work).
EXPOSE 5060/udp 5060/tcp
# No HTTP port: liveness is this container's own answer on the bus (probe.h
# in tools/ccctl); `ccctl probe ready ingress` is its readiness.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ccctl probe live ingress || exit 1
ENTRYPOINT ["/usr/local/bin/ingress"]

FROM runtime AS queue
COPY --from=build /src/build/release/bin/queue /usr/local/bin/queue
# No HTTP port: liveness is this container's own answer on the bus (probe.h
# in tools/ccctl); `ccctl probe ready queue` is its readiness.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ccctl probe live queue || exit 1
ENTRYPOINT ["/usr/local/bin/queue"]

FROM runtime AS presence
COPY --from=build /src/build/release/bin/presence /usr/local/bin/presence
# No HTTP port: liveness is this container's own answer on the bus (probe.h
# in tools/ccctl); `ccctl probe ready presence` is its readiness.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ccctl probe live presence || exit 1
ENTRYPOINT ["/usr/local/bin/presence"]

FROM runtime AS media
COPY --from=build /src/build/release/bin/media /usr/local/bin/media
# RTP ports: CC_MEDIA_PORT_MIN..CC_MEDIA_PORT_MAX (UDP), published by compose/k8s.
# No HTTP port: liveness is this container's own answer on the bus (probe.h
# in tools/ccctl); `ccctl probe ready media` is its readiness.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ccctl probe live media || exit 1
ENTRYPOINT ["/usr/local/bin/media"]

FROM runtime AS calllog
COPY --from=build /src/build/release/bin/calllog /usr/local/bin/calllog
# No HTTP port: liveness is this container's own answer on the bus (probe.h
# in tools/ccctl); `ccctl probe ready calllog` is its readiness.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ccctl probe live calllog || exit 1
ENTRYPOINT ["/usr/local/bin/calllog"]

# The admin/status CLI on its own: `docker run --rm --network <net>
# -e CC_NATS_URL=nats://nats:4222 cc/ccctl status`. Last, so it is also what a
# plain `docker build .` produces.
FROM runtime AS ccctl
ENTRYPOINT ["/usr/local/bin/ccctl"]
CMD ["status"]
