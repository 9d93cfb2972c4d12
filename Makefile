# alicloud-ccm: build, test, lint, image, demo.
# `make test` is the project's test command (CI runs it through .ci/run).

SHELL := /usr/bin/env bash
GO ?= go
BIN_DIR ?= bin
IMAGE ?= ghcr.io/alicloud-ccm/cloud-controller-manager
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
PKG := github.com/alicloud-ccm/alicloud-ccm
LDFLAGS := -s -w \
	-X $(PKG)/cmd/cloud-controller-manager/command.gitVersion=$(VERSION) \
	-X $(PKG)/cmd/cloud-controller-manager/command.gitCommit=$(COMMIT)
# Where hack/test-binaries.sh keeps etcd and kube-apiserver (outside the tree).
export ALICLOUD_CCM_CACHE ?= $(HOME)/.cache/alicloud-ccm
TEST_TIMEOUT ?= 30m

.PHONY: all build test unit integration lint fmt vet image demo bench docs test-binaries clean

all: build

## build: the CCM and the emulator binaries, into ./bin
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN_DIR)/cloud-controller-manager ./cmd/cloud-controller-manager
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN_DIR)/alicloud-emulator ./cmd/alicloud-emulator

## test: lint, then unit and integration tests (installs etcd and kube-apiserver first)
test: lint test-binaries
	source "$(ALICLOUD_CCM_CACHE)/bin/env.sh" && $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

## unit: tests that need no Kubernetes binaries (integration tests skip unless CI=true)
unit:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $$($(GO) list ./... | grep -v /test/)

## test-binaries: etcd and kube-apiserver for the integration tests (idempotent)
test-binaries:
	hack/test-binaries.sh

## lint: gofmt and go vet
lint: fmt vet

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

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

## image: the container image (needs a Docker daemon)
image:
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t $(IMAGE):$(VERSION) .

## demo: a local control plane, the emulator and the CCM, with an example Service
demo:
	hack/demo.sh

clean:
	rm -rf $(BIN_DIR)
