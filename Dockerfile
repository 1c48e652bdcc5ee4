# One multi-target Dockerfile for all services:
#   docker build --target queue -t cc/queue .
# The build stage compiles everything once; each final stage copies one binary
# into a slim runtime image with only the shared libraries it needs.

FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential pkg-config git ca-certificates \
        libnats-dev libmicrohttpd-dev libhiredis-dev libprotobuf-c-dev protobuf-c-compiler \
        libsrtp2-dev libssl-dev libjansson-dev libwslay-dev libsofia-sip-ua-dev \
        libqrencode-dev libopus-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make MODE=release -j"$(nproc)" all

FROM debian:12-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends \
        libnats3.4 libmicrohttpd12 libhiredis0.14 libprotobuf-c1 libsrtp2-1 libssl3 \
        libjansson4 libwslay1 libsofia-sip-ua0 libqrencode4 libopus0 libpq5 \
        ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home cc
COPY --from=build /src/build/release/bin/ccctl /usr/local/bin/ccctl
USER cc
# Same variables as `make run` (README.md, Configuration); compose/k8s override hosts.
ENV CC_LOG_LEVEL=info

FROM runtime AS gateway
COPY --from=build /src/build/release/bin/gateway /usr/local/bin/gateway
COPY --from=build /src/services/gateway/web /srv/web
ENV CC_WEB_ROOT=/srv/web CC_HTTP_ADDR=0.0.0.0 CC_HTTP_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/gateway"]

FROM runtime AS ingress
COPY --from=build /src/build/release/bin/ingress /usr/local/bin/ingress
EXPOSE 5060/udp 5060/tcp
ENTRYPOINT ["/usr/local/bin/ingress"]

FROM runtime AS queue
COPY --from=build /src/build/release/bin/queue /usr/local/bin/queue
ENTRYPOINT ["/usr/local/bin/queue"]

FROM runtime AS presence
COPY --from=build /src/build/release/bin/presence /usr/local/bin/presence
ENTRYPOINT ["/usr/local/bin/presence"]

FROM runtime AS media
COPY --from=build /src/build/release/bin/media /usr/local/bin/media
ENTRYPOINT ["/usr/local/bin/media"]

FROM runtime AS calllog
COPY --from=build /src/build/release/bin/calllog /usr/local/bin/calllog
ENTRYPOINT ["/usr/local/bin/calllog"]

FROM runtime AS ccctl
ENTRYPOINT ["/usr/local/bin/ccctl"]
