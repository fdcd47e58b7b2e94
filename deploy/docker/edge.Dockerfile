# syntax=docker/dockerfile:1
#
# avatar-edge: one per region; WebRTC (pion) media, STT/TTS, dialogue engine.
# Build context is the repository root (the Go workspace):
#
#   docker build -f deploy/docker/edge.Dockerfile -t avatar-edge .

############################ build ############################
FROM golang:1.26-bookworm AS build

# cgo libraries: Opus codec (media/), PocketSphinx STT, eSpeak NG TTS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        pkg-config \
        libopus-dev libopusfile-dev \
        libpocketsphinx-dev libsphinxbase-dev \
        libespeak-ng-dev flite1-dev \
 && rm -rf /var/lib/apt/lists/*

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

RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -ldflags='-s -w' \
        -o /out/avatar-edge ./edge/cmd/avatar-edge

############################ runtime ############################
FROM debian:bookworm-slim AS runtime

# Runtime halves of the cgo libraries, the PocketSphinx en-us model
# (/usr/share/pocketsphinx/model/en-us) and the eSpeak NG voice data; ca-certificates for
# TLS to the core / providers; curl for the HEALTHCHECK below.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        ca-certificates curl \
        libopus0 libopusfile0 \
        libpocketsphinx3 libsphinxbase3 pocketsphinx-en-us \
        libespeak-ng1 espeak-ng-data libflite1 \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 avatar \
 && useradd --system --uid 10001 --gid avatar --home-dir /var/lib/avatar --create-home \
        --shell /usr/sbin/nologin avatar
WORKDIR /var/lib/avatar

COPY --from=build /out/avatar-edge /usr/local/bin/avatar-edge

ENV AVATAR_EDGE_ADDR=:8090 \
    AVATAR_EDGE_UDP_PORT=8091
# HTTP: Connect RPC, WHIP /v1/calls, /healthz, /readyz, /metrics
EXPOSE 8090/tcp
# Media: every call's ICE traffic on one UDP port (UDP mux); tcp for ICE-TCP fallback.
EXPOSE 8091/udp 8091/tcp

USER avatar:avatar

# /healthz = process alive. Assumes AVATAR_EDGE_ADDR keeps port 8090.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8090/healthz || exit 1

ENTRYPOINT ["/usr/local/bin/avatar-edge"]
