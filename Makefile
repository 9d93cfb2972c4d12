# alicloud-ccm: build, test, lint, image, demo.
# `make test` is the project's test command (CI runs it through .ci/run).

SHELL := /usr/bin/env bash
GO ?= go
BIN_DIR ?= bin
IMAGE ?= ghcr.io/alicloud-ccm/cloud-controller-manager
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# Image timestamps: the commit time, so that a rebuild is bit-for-bit identical.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
PLATFORMS ?= linux/amd64 linux/arm64
IMAGE_DIR ?= $(BIN_DIR)/image
DIST_DIR ?= dist
CHART_DIR := charts/alicloud-ccm
# Helm wants SemVer without the "v"; an untagged build is a pre-release.
CHART_VERSION ?= $(shell v='$(patsubst v%,%,$(VERSION))'; [[ $$v =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] && echo "$$v" || echo "0.0.0-dev.$(COMMIT)")
PKG := github.com/alicloud-ccm/alicloud-ccm
LDFLAGS := -s -w \
	-X $(PKG)/cmd/cloud-controller-manager/command.gitVersion=$(VERSION) \
	-X $(PKG)/cmd/cloud-controller-manager/command.gitCommit=$(COMMIT)
# Where hack/test-binaries.sh keeps etcd and kube-apiserver (outside the tree).
export ALICLOUD_CCM_CACHE ?= $(HOME)/.cache/alicloud-ccm
# helm v4, built by hack/test-binaries.sh (make manifests, chart, release-artifacts).
HELM ?= $(ALICLOUD_CCM_CACHE)/bin/helm
# golangci-lint at the version pinned in hack/test-binaries.sh (make lint).
GOLANGCI_LINT ?= $(ALICLOUD_CCM_CACHE)/bin/golangci-lint
TEST_TIMEOUT ?= 30m

.PHONY: all build test unit integration lint fmt vet golangci-lint image docker-image manifests chart release-artifacts demo bench bench-e2e docs test-binaries clean

all: build

## build: the CCM and the emulator binaries, into ./bin
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN_DIR)/cloud-controller-manager ./cmd/cloud-controller-manager
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN_DIR)/alicloud-emulator ./cmd/alicloud-emulator

## test: lint (gofmt, go vet, golangci-lint), then unit and integration tests (installs etcd and kube-apiserver first)
test: lint test-binaries
	source "$(ALICLOUD_CCM_CACHE)/bin/env.sh" && $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

## unit: tests that need no Kubernetes binaries (integration tests skip unless CI=true)
unit:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $$($(GO) list ./... | grep -v /test/)

## test-binaries: etcd and kube-apiserver for the integration tests (idempotent)
test-binaries:
	hack/test-binaries.sh

## lint: gofmt, go vet and golangci-lint (.golangci.yml), of the main module and hack/image
lint: fmt vet golangci-lint

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) -C hack/image vet ./...

# The script builds the pinned version once (and fails if it cannot); later
# runs only check the version. hack/image is a module of its own, which ./...
# of the main module does not reach: it is linted with the same configuration.
golangci-lint:
	hack/test-binaries.sh golangci-lint
	$(GOLANGCI_LINT) run --allow-serial-runners ./...
	cd hack/image && $(GOLANGCI_LINT) run --allow-serial-runners --config $(CURDIR)/.golangci.yml ./...

## docs: regenerate generated reference docs
docs:
	UPDATE_DOCS=1 $(GO) test -count=1 ./config/ -run TestCloudConfigDocIsFresh
	UPDATE_DOCS=1 $(GO) test -count=1 ./cloudprovider/loadbalancer/annotations/ -run TestAnnotationsDocIsFresh

## bench: benchmarks that print speed and API-call numbers
bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./emulator/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 20m ./cloudprovider/routes/
	$(GO) test -run '^$$' -bench . -benchtime 5x ./cloudprovider/instances/
	$(GO) test -run '^$$' -bench CLBServices -benchtime 1x ./cloudprovider/loadbalancer/
	$(GO) test -run '^$$' -bench CLBFaultStorm -benchtime 1x -timeout 30m ./cloudprovider/loadbalancer/
	$(GO) test -run '^$$' -bench NLBServices -benchtime 1x -timeout 20m ./cloudprovider/loadbalancer/nlb/

## bench-e2e: the CCM binary at scale on etcd + kube-apiserver + emulator (test/bench: S1-S5), full
## size; smaller: make bench-e2e BENCH_SERVICES=20 BENCH_NODES=10 BENCH_ROUTE_NODES=50 BENCH_S5_NODES=200
## BENCH_S5_SERVICES=20 BENCH_S5_CHURN=10. BENCH_API_QPS raises the CCM's client-side limit (cloud-config
## apiQPS; its default of 10 SLB calls/s alone makes S1-S3 at 500 Services take ~20 min). Run it in a
## loopback-only network namespace (unshare -n) on a shared machine.
BENCH_SERVICES ?= 500
BENCH_NODES ?= 50
BENCH_ROUTE_NODES ?= 500
BENCH_S5_NODES ?= 5000
BENCH_S5_ROUTED ?= 200
# S5 at the issue's 1,000 Services: the whole run from a fresh clone took 13m07s at a load average
# of 1-4 (S1 2m42s, S2 29s, S3 1m16s, S4 8s, S5 3m30s after 3m45s until every Service had an
# address) and 14m57s at 8-12 (docs/tuning.md, Measuring).
BENCH_S5_SERVICES ?= 1000
BENCH_S5_CHURN ?= 100
BENCH_S5_CHURN_FOR ?= 60s
BENCH_S5_DRAIN ?= 90s
BENCH_API_QPS ?= slb=40,vpc=10,ecs=40
BENCH_E2E_TIMEOUT ?= 90m
bench-e2e: test-binaries
	source "$(ALICLOUD_CCM_CACHE)/bin/env.sh" && \
	  BENCH_SERVICES=$(BENCH_SERVICES) BENCH_NODES=$(BENCH_NODES) BENCH_ROUTE_NODES=$(BENCH_ROUTE_NODES) \
	  BENCH_S5_NODES=$(BENCH_S5_NODES) BENCH_S5_ROUTED=$(BENCH_S5_ROUTED) BENCH_S5_SERVICES=$(BENCH_S5_SERVICES) \
	  BENCH_S5_CHURN=$(BENCH_S5_CHURN) BENCH_S5_CHURN_FOR=$(BENCH_S5_CHURN_FOR) BENCH_S5_DRAIN=$(BENCH_S5_DRAIN) \
	  BENCH_API_QPS=$(BENCH_API_QPS) \
	  $(GO) test -count=1 -run '^$$' -bench E2E -benchtime 1x -timeout $(BENCH_E2E_TIMEOUT) ./test/bench/

## image: the multi-platform OCI image, without Docker (hack/image), into $(IMAGE_DIR)
image:
	@for p in $(PLATFORMS); do \
	  echo "building $$p"; \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath -ldflags "$(LDFLAGS)" \
	    -o $(BIN_DIR)/$${p%/*}-$${p#*/}/cloud-controller-manager ./cmd/cloud-controller-manager || exit 1; \
	done
	$(GO) -C hack/image run . -ref $(IMAGE):$(VERSION) -version $(VERSION) -commit $(COMMIT) \
	  -created $(SOURCE_DATE_EPOCH) -out $(abspath $(IMAGE_DIR)) \
	  $(foreach p,$(PLATFORMS),-binary $(p)=$(abspath $(BIN_DIR))/$(subst /,-,$(p))/cloud-controller-manager)

## manifests: render examples/deploy/ccm.yaml from the chart (make test fails when it is stale)
manifests:
	hack/test-binaries.sh helm
	HELM_BIN=$(HELM) UPDATE_MANIFESTS=1 $(GO) test -count=1 ./test/chart/ -run TestManifestIsFresh

## chart: package the Helm chart into $(DIST_DIR), versioned $(CHART_VERSION) / $(VERSION)
chart:
	hack/test-binaries.sh helm
	mkdir -p $(DIST_DIR)
	$(HELM) lint --strict $(CHART_DIR) && \
	  $(HELM) package $(CHART_DIR) --version $(CHART_VERSION) --app-version $(VERSION) -d $(DIST_DIR)

## release-artifacts: everything a release attaches, into $(DIST_DIR): image archives, chart, manifest, SBOM, SHA256SUMS
release-artifacts: chart
	$(MAKE) image IMAGE_DIR=$(DIST_DIR)/image
	mv $(DIST_DIR)/image/*.tar $(DIST_DIR)/image/*.spdx.json $(DIST_DIR)/
	rm -rf $(DIST_DIR)/image
	$(HELM) template alicloud-ccm $(DIST_DIR)/alicloud-ccm-$(CHART_VERSION).tgz \
	  --namespace kube-system --set image.repository=$(IMAGE) --set image.tag=$(VERSION) > $(DIST_DIR)/alicloud-ccm.yaml
	cd $(DIST_DIR) && rm -f SHA256SUMS && sha256sum * > SHA256SUMS
	@ls -l $(DIST_DIR)

## docker-image: the same image with a Docker daemon (Dockerfile)
docker-image:
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) \
	  --build-arg CREATED=$(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ) -t $(IMAGE):$(VERSION) .

## demo: a local control plane, the emulator and the CCM, with an example Service
demo:
	hack/demo.sh

clean:
	rm -rf $(BIN_DIR) $(DIST_DIR)
