# syntax=docker/dockerfile:1
#
# avatar-core: the central Connect API (auth, org, knowledge, scenarios, analytics, regions).
# Build context is the repository root (the Go workspace):
#
#   docker build -f deploy/docker/core.Dockerfile -t avatar-core .

############################ build ############################
FROM golang:1.26-bookworm AS build
WORKDIR /src

# Module metadata first so dependency downloads are cached across source edits. Every
# module named in go.work must be present for the workspace to load.
COPY go.work go.work.sum* ./
COPY protocol/go.mod protocol/go.sum* protocol/
COPY media/go.mod    media/go.sum*    media/
COPY platform/go.mod platform/go.sum* platform/
COPY core/go.mod     core/go.sum*     core/
COPY edge/go.mod     edge/go.sum*     edge/
COPY loadtest/go.mod loadtest/go.sum* loadtest/
# deploy/check (the offline checks of deploy/) is only in the workspace, never built here.
COPY deploy/check/go.mod deploy/check/go.sum* deploy/check/
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY protocol/ protocol/
COPY media/    media/
COPY platform/ platform/
COPY core/     core/
COPY edge/     edge/
COPY loadtest/ loadtest/

# The core needs no C libraries beyond the toolchain's defaults; a static binary is fine.
ARG CGO_ENABLED=0
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=${CGO_ENABLED} go build -trimpath -ldflags='-s -w' \
        -o /out/avatar-core ./core/cmd/avatar-core

############################ runtime ############################
FROM debian:bookworm-slim AS runtime

# ca-certificates: TLS to providers / managed services; poppler-utils: pdftotext for PDF
# ingestion; curl: the HEALTHCHECK below.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates poppler-utils curl \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 avatar \
 && useradd --system --uid 10001 --gid avatar --home-dir /var/lib/avatar --create-home \
        --shell /usr/sbin/nologin avatar
WORKDIR /var/lib/avatar

COPY --from=build /out/avatar-core /usr/local/bin/avatar-core

ENV AVATAR_CORE_ADDR=:8080
# HTTP: Connect RPC, /healthz, /readyz, /metrics, /.well-known/jwks.json
EXPOSE 8080/tcp

USER avatar:avatar

# /healthz = process alive. Assumes AVATAR_CORE_ADDR keeps port 8080 (override the
# healthcheck if you move it).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1

ENTRYPOINT ["/usr/local/bin/avatar-core"]
