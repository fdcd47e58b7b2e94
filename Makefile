# Avatar — one entry point for developers and CI. `make run` and `make test` are the two
# commands; everything they need is installed by deploy/dev/services.sh and the tools
# target below (pinned versions, local plugins only).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

MODULES   := protocol media platform core edge loadtest deploy/check
TOOLS     := $(CURDIR)/.cache/tools
BIN       := $(CURDIR)/bin
BUF       := $(TOOLS)/buf
STATICCHECK := $(TOOLS)/staticcheck
GOLANGCI_LINT := $(TOOLS)/golangci-lint
GOTEST_FLAGS ?= -count=1 -timeout 15m
# -race everywhere it is cheap enough. The edge's end-to-end call test streams real-time
# audio through the embedded engines and asserts latency and WER; race instrumentation
# slows the engines enough to make those bounds meaningless, so that package runs without.
NORACE_PKGS := github.com/avatar-fi/avatar/edge/internal/rtc

BUF_VERSION            := v1.75.0
PROTOC_GEN_GO_VERSION  := v1.36.12
PROTOC_GEN_CONNECT_VERSION := v1.21.1
STATICCHECK_VERSION    := v0.8.2
GOLANGCI_LINT_VERSION  := v2.15.0

export AVATAR_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/avatar_test?sslmode=disable
export AVATAR_TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0
export AVATAR_TEST_NATS_URL     ?= nats://127.0.0.1:4222

.PHONY: help
help: ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: check-go
check-go:
	@command -v go >/dev/null || { echo "Go 1.26+ is required (https://go.dev/dl); install it at /usr/local/go"; exit 1; }

.PHONY: services
services: ## install and start PostgreSQL+pgvector, Redis, NATS, the cgo libraries and the models (idempotent)
	@bash deploy/dev/services.sh
	@bash deploy/dev/models.sh

.PHONY: tools
tools: check-go ## install pinned code generators and linters into .cache/tools
	@mkdir -p $(TOOLS)
	@test -x $(BUF) || GOBIN=$(TOOLS) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	@test -x $(TOOLS)/protoc-gen-go || GOBIN=$(TOOLS) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	@test -x $(TOOLS)/protoc-gen-connect-go || GOBIN=$(TOOLS) go install connectrpc.com/connect/cmd/protoc-gen-connect-go@$(PROTOC_GEN_CONNECT_VERSION)
	@test -x $(STATICCHECK) || GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@test -x $(GOLANGCI_LINT) || GOBIN=$(TOOLS) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@test -x protocol/node_modules/.bin/protoc-gen-es || (cd protocol && npm ci --ignore-scripts --no-audit --no-fund --silent)

.PHONY: generate
generate: tools ## regenerate Go, Connect and TypeScript code from the protos
	$(BUF) lint
	$(BUF) generate
	cd protocol && go mod tidy

.PHONY: check-generated
check-generated: generate ## fail when committed generated code is stale
	@git add -N protocol/gen >/dev/null 2>&1 || true
	@if ! git diff --quiet -- protocol/gen; then \
		echo "generated code is stale: run 'make generate' and commit protocol/gen"; \
		git diff --stat -- protocol/gen; exit 1; fi
	@echo "generated code is current"

.PHONY: breaking
breaking: tools ## check the protos for breaking changes against main
	$(BUF) breaking --against '.git#branch=main'

# golangci-lint runs the linters .golangci.yml names, staticcheck among them (the same
# honnef.co/go/tools version as $(STATICCHECK): its default checks and more), so there is
# no separate staticcheck run. go vet stays: golangci-lint's govet is its own build of the
# vet passes, not the toolchain's. --allow-serial-runners waits for another golangci-lint
# on this machine instead of failing.
.PHONY: lint
lint: tools ## gofmt, go vet, golangci-lint (.golangci.yml, staticcheck included), buf lint
	@out=$$(git ls-files '*.go' | grep -v '/gen/' | xargs gofmt -l); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@for m in $(MODULES); do (cd $$m && if [ -n "$$(go list ./... 2>/dev/null)" ]; then \
		go vet ./... && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml --show-stats=false --allow-serial-runners ./...; fi) || exit 1; done
	$(BUF) lint
	@echo "lint ok"
	@command -v promtool >/dev/null || { echo "promtool is missing: make services installs it (Debian's prometheus package)"; exit 1; }
	promtool check rules deploy/prometheus/alerts.yml
	promtool test rules deploy/prometheus/alerts_test.yml
	@echo "deploy checks ok"

# The web app: npm ci from the lockfile (only when it changed), then Vite, then a copy into
# the core's embedded files (go:embed cannot reach web/dist). A fresh clone compiles without
# it: the core then serves core/internal/webui/notbuilt.html at /.
WEB_DIST := core/internal/webui/dist
WEB_SRC  := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts \
	web/tsconfig.json web/package.json $(shell find protocol/gen/ts -type f 2>/dev/null)

.PHONY: check-node
check-node:
	@command -v npm >/dev/null || { echo "Node.js 20.19+ with npm is required to build the web app (https://nodejs.org)"; exit 1; }

web/node_modules/.package-lock.json: web/package-lock.json | check-node
	cd web && npm ci --no-audit --no-fund

$(WEB_DIST)/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run --silent build
	find $(WEB_DIST) -mindepth 1 ! -name .gitkeep -delete
	cp -R web/dist/. $(WEB_DIST)/

.PHONY: web
web: $(WEB_DIST)/index.html ## build the web app (npm ci, Vite) into the core's embedded files

.PHONY: test-web
test-web: services build ## Vitest, then Playwright (Debian chromium) against a real core and edge
	cd web && npx vitest run
	cd web && AVATAR_BIN=$(BIN) npx vitest run --config vitest.e2e.config.ts

.PHONY: build
build: check-go web ## build every binary into ./bin (the web app first)
	@mkdir -p $(BIN)
	@for m in core edge loadtest; do \
		for d in $$m/cmd/*/; do [ -d "$$d" ] || continue; \
			(cd $$m && go build -trimpath -o $(BIN)/ ./cmd/$$(basename $$d)) || exit 1; \
		done; done
	@ls $(BIN)

.PHONY: test
test: check-go services ## run every module's tests against the real services
	bash deploy/dev/services_test.sh
	@for m in $(MODULES); do \
		pkgs=$$(cd $$m && go list ./... 2>/dev/null | grep -v '/gen/' || true); \
		[ -n "$$pkgs" ] || { echo "== $$m: no packages yet"; continue; }; \
		racy=$$(tr ' ' '\n' <<<"$$pkgs" | grep -vxF -f <(tr ' ' '\n' <<<"$(NORACE_PKGS)") || true); \
		plain=$$(tr ' ' '\n' <<<"$$pkgs" | grep -xF -f <(tr ' ' '\n' <<<"$(NORACE_PKGS)") || true); \
		echo "== go test -race $$m"; \
		(cd $$m && go test -race $(GOTEST_FLAGS) $$racy) || exit 1; \
		if [ -n "$$plain" ]; then echo "== go test $$m (real-time, no -race)"; \
			(cd $$m && go test $(GOTEST_FLAGS) $$plain) || exit 1; fi; \
	done
	@# A count, not a duration: a duration's deadline can fail the run with a bare
	@# "context deadline exceeded" and no crasher (golang/go#75804, fixed in Go 1.27).
	cd core && go test -run '^$$' -fuzz '^FuzzTextNeverRefused$$' -fuzztime 200000x -fuzzminimizetime 1000x ./internal/knowledge/extract/
	$(MAKE) --no-print-directory test-web

.PHONY: bench
bench: check-go services ## run every benchmark once (-benchmem), per module
	@for m in $(MODULES); do \
		pkgs=$$(cd $$m && go list ./... 2>/dev/null | grep -v '/gen/' || true); \
		[ -n "$$pkgs" ] || continue; \
		echo "== bench $$m"; \
		(cd $$m && go test -run '^$$' -bench . -benchmem -count=1 $$pkgs) || exit 1; \
	done

.PHONY: bench-media
bench-media: check-go ## CPU per 20 ms frame of the edge's media path (Opus decode to 16 kHz, VAD, pitch, endpoint, Opus encode)
	cd media && go test -run '^$$' -bench 'MediaPath|Process$$' -benchmem -count=5 . ./pitch ./vad/silero

NFCORPUS ?= ../shared/data/retrieval/nfcorpus
SPLIT   ?= test
.PHONY: eval-retrieval
eval-retrieval: check-go services ## nDCG@10, recall@100, MRR@10 of Search on a BEIR folder (DATASET=, SPLIT=test|dev)
	cd core && go run ./cmd/avatar-eval-retrieval -dataset $(abspath $(or $(DATASET),$(NFCORPUS))) -split $(SPLIT)

SPEECH ?= ../shared/data/speech
.PHONY: eval-stt
eval-stt: check-go services ## WER of the embedded STT through the call path, HALF=report|tune|all of DATASET (default both speech sets); last line WER=<generic>
	cd edge && go run ./cmd/avatar-eval-stt -split $(or $(HALF),report) $(if $(DATASET),$(abspath $(DATASET)),$(abspath $(SPEECH)) $(abspath $(SPEECH))-more)

# Density, turn gap and capacity: a real avatar-edge (production defaults) and a real core of
# their own (loadtest/density.sh, loopback ports from 18180, database avatar_loadtest), one
# fresh edge per count, driven by avatar-density's callers each signed in as its own trainee.
DENSITY_BINS = cd core && go build -trimpath -o $(BIN)/ ./cmd/avatar-core && \
	cd ../edge && go build -trimpath -o $(BIN)/ ./cmd/avatar-edge && \
	cd ../loadtest && go build -trimpath -o $(BIN)/ ./cmd/avatar-density

.PHONY: edge-density
edge-density: check-go services ## calls a real edge holds with its production engines: CALLS=8 (or a list, 4,8,12: capacity), DURATION=60s, HALF=all|tune|report, ONLY=mfa_
	@mkdir -p $(BIN)
	$(DENSITY_BINS)
	BIN=$(BIN) CALLS=$(or $(CALLS),8) DURATION=$(or $(DURATION),60s) HALF=$(or $(HALF),all) ONLY="$(ONLY)" MAX_RESPONSE=$(MAX_RESPONSE) bash loadtest/density.sh

.PHONY: turn-gap
turn-gap: check-go services ## one call on a real edge, production engines: turn gap p50/p95, stages, clips answered/cut in/unanswered (HALF=report|tune|all, ONLY=mfa_ for spontaneous speech, DURATION=120s)
	@mkdir -p $(BIN)
	$(DENSITY_BINS)
	BIN=$(BIN) CALLS=1 DURATION=$(or $(DURATION),120s) WARMUP=3s HALF=$(or $(HALF),report) ONLY="$(ONLY)" MAX_RESPONSE=$(MAX_RESPONSE) bash loadtest/density.sh

# The load test: a core and three edges of its own (loopback ports from 18080, database
# avatar_loadtest, embedded NATS), each region's callers behind an impairment relay.
.PHONY: loadtest
loadtest: check-go services ## N real WebRTC callers per region (us-east, us-west, eu-central behind impaired links) on a core + 3 edges: turn gap, set-up, MOS, failures per region; CALLS=2 DURATION=60s RAMP=5s SLO_P95= MAX_FAILED= MAX_PREMATURE= SCRIPT=loadtest/testdata/vsc-roleplay.txt (Flite-spoken role-play lines); .data/loadtest/report.{json,html}
	@mkdir -p $(BIN)
	cd core && go build -trimpath -o $(BIN)/ ./cmd/avatar-core ./cmd/avatarctl
	cd edge && go build -trimpath -o $(BIN)/ ./cmd/avatar-edge
	cd loadtest && go build -trimpath -o $(BIN)/ ./cmd/avatar-loadtest
	BIN=$(BIN) bash loadtest/regions.sh

CAPACITY_CALLS ?= 4,8,12
CAPACITY_DIR   := $(CURDIR)/.data/capacity
.PHONY: capacity
capacity: check-go services ## the most concurrent calls one real edge holds here (every clip heard answered, response p95 <= MAX_RESPONSE=150ms), CALLS=4,8,12 tried for DURATION=30s each; then the edge's CPU profile's top entries at that load
	@mkdir -p $(BIN) $(CAPACITY_DIR) && rm -f $(CAPACITY_DIR)/*.pprof
	$(DENSITY_BINS)
	BIN=$(BIN) OUT=$(CAPACITY_DIR) PROFILE=$(CAPACITY_DIR) CALLS=$(or $(CALLS),$(CAPACITY_CALLS)) DURATION=$(or $(DURATION),30s) WARMUP=5s HALF=all ONLY= MAX_RESPONSE=$(or $(MAX_RESPONSE),150ms) \
		bash loadtest/density.sh | tee $(CAPACITY_DIR)/density.txt
	@n=$$(sed -n 's/^capacity=\([0-9]*\).*/\1/p' $(CAPACITY_DIR)/density.txt); \
		if [ -z "$$n" ] || [ "$$n" = 0 ]; then n=$$(ls $(CAPACITY_DIR)/cpu-*.pprof | sed 's/.*cpu-\([0-9]*\)\.pprof/\1/' | sort -n | head -n1); fi; \
		echo "== edge CPU profile at $$n calls ($(CAPACITY_DIR)/cpu-$$n.pprof), top entries"; \
		go tool pprof -top -cum -nodecount=25 $(BIN)/avatar-edge $(CAPACITY_DIR)/cpu-$$n.pprof 2>/dev/null | sed -n '1,30p'

.PHONY: eval-dialogue
eval-dialogue: check-go services ## technique classifier and coach relevance on held-out data; the six scenarios played through
	cd edge && go test -count=1 -v -run 'TestHeldOut$$|TestHeldOutQuestions|TestBuiltInSessions' ./internal/dialogue/... | grep -vE '^(=== |    [a-z_]+_test.go:[0-9]+: (CUSTOMER|TRAINEE)|.*core: )'

CHUNKS ?= 100000
.PHONY: bench-retrieval
bench-retrieval: check-go services ## Search p50/p95/p99 (c=1,16; cache off/on), HNSW recall@10, ingest chunks/s on CHUNKS chunks
	cd core && go run ./cmd/avatar-bench-retrieval -dataset $(abspath $(or $(DATASET),$(NFCORPUS))) -chunks $(CHUNKS)

.PHONY: run
run: services build ## bring the whole system up on embedded defaults and print its URL
	@bash deploy/dev/run.sh
