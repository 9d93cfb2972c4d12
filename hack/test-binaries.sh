#!/usr/bin/env bash
# Builds the binaries the integration and e2e tests need (etcd and
# kube-apiserver) into a cache directory outside the tracked tree.
#
# Everything comes from the Go module proxy (or, as a fallback for etcd,
# Debian's etcd-server package); nothing is downloaded from anywhere else.
# The script is idempotent: binaries that already exist with the expected
# version are reused, and the throwaway build modules keep their go.sum so a
# re-run resolves nothing new.
#
# Output: $CACHE/bin/{etcd,kube-apiserver,helm,golangci-lint} (symlinks to
# versioned binaries) and $CACHE/bin/env.sh, which exports ETCD_BIN,
# KUBE_APISERVER_BIN and HELM_BIN. helm (v4, the CLI) renders, lints and
# installs the chart in the chart tests and `make manifests`; golangci-lint
# runs in `make lint` (configured by .golangci.yml).
#
# Environment:
#   ALICLOUD_CCM_CACHE  cache root (default: $HOME/.cache/alicloud-ccm)
#   ETCD_SOURCE         "go" (default: build from the Go proxy, fall back to
#                       apt) or "apt" (Debian's etcd-server only)
# Arguments:
#   helm                build only helm (make manifests, make chart)
#   golangci-lint       build only golangci-lint (make lint)
set -euo pipefail

ETCD_VERSION="v3.6.16"
KUBE_VERSION="v1.37.1"
# helm v4.3.2 requires the same k8s.io modules (v0.37.2) as this project, so
# most of its packages come out of the Go build cache the project filled.
HELM_VERSION="v4.3.2"
# golangci-lint is built with `go install module@version`, which resolves its
# dependencies from golangci-lint's own go.mod (the versions its authors test)
# and leaves this project's go.mod alone. ~4 min cold on 2 cores.
GOLANGCI_LINT_VERSION="v2.15.0"
# Staging modules of k8s.io/kubernetes; k8s.io/kubernetes' go.mod replaces
# them with ./staging paths, which `go build` of a dependency ignores, so a
# throwaway module must pin every one of them itself. sample-cli-plugin and
# sample-controller are deliberately absent (not needed, 403 on the proxy).
KUBE_STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime
  client-go cloud-provider cluster-bootstrap code-generator component-base
  component-helpers controller-manager cri-api cri-client cri-streaming
  csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
  kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl
  kubelet metrics mount-utils pod-security-admission sample-apiserver streaming)

CACHE="${ALICLOUD_CCM_CACHE:-$HOME/.cache/alicloud-ccm}"
BIN="$CACHE/bin"
BUILD="$CACHE/build"
mkdir -p "$BIN" "$BUILD"

# Build outside any workspace and with module resolution allowed; keep the
# user's GOCACHE/GOMODCACHE so repeated runs (and the project build) share them.
export GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

log() { printf '[test-binaries] %s\n' "$*" >&2; }

# grep reads all of etcd's output: with -q it would exit at the first line and
# etcd's SIGPIPE would fail the pipeline (pipefail), rebuilding etcd every run.
etcd_ok() { [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep "etcd Version: ${2#v}" >/dev/null; }

build_etcd_go() {
  local out="$BIN/etcd-$ETCD_VERSION" dir="$BUILD/etcd"
  if etcd_ok "$out" "$ETCD_VERSION"; then log "etcd $ETCD_VERSION already built"; return 0; fi
  mkdir -p "$dir"
  # etcd's server module replaces its sibling modules with local paths, so
  # they are pinned here to the same release.
  cat >"$dir/go.mod" <<GOMOD
module alicloud-ccm.local/etcdbuild

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
GOMOD
  log "building etcd $ETCD_VERSION from the Go module proxy"
  (cd "$dir" && go build -ldflags "-s -w" -o "$out.tmp" go.etcd.io/etcd/server/v3) &&
    mv -f "$out.tmp" "$out"
}

install_etcd_apt() {
  if [[ ! -x /usr/bin/etcd ]]; then
    log "installing Debian etcd-server"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends etcd-server
  fi
  ln -sfn /usr/bin/etcd "$BIN/etcd"
}

build_helm() {
  local out="$BIN/helm-$HELM_VERSION" dir="$BUILD/helm"
  if [[ -x "$out" ]] && "$out" version --template '{{.Version}}' 2>/dev/null | grep -x "$HELM_VERSION" >/dev/null; then
    log "helm $HELM_VERSION already built"; return 0
  fi
  mkdir -p "$dir"
  printf 'module alicloud-ccm.local/helmbuild\n\ngo 1.26.0\n\nrequire helm.sh/helm/v4 %s\n' "$HELM_VERSION" >"$dir/go.mod.new"
  cmp -s "$dir/go.mod.new" "$dir/go.mod.base" 2>/dev/null || { cp "$dir/go.mod.new" "$dir/go.mod"; cp "$dir/go.mod.new" "$dir/go.mod.base"; }
  rm -f "$dir/go.mod.new"
  log "building helm $HELM_VERSION from the Go module proxy"
  # helm reads its version from this variable (the release Makefile sets it).
  (cd "$dir" && go build -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
      -o "$out.tmp" helm.sh/helm/v4/cmd/helm) &&
    mv -f "$out.tmp" "$out"
  ln -sfn "helm-$HELM_VERSION" "$BIN/helm"
}

build_golangci_lint() {
  local out="$BIN/golangci-lint-$GOLANGCI_LINT_VERSION"
  if [[ -x "$out" ]] && "$out" version --short 2>/dev/null | grep -x "${GOLANGCI_LINT_VERSION#v}" >/dev/null; then
    log "golangci-lint $GOLANGCI_LINT_VERSION already built"; ln -sfn "golangci-lint-$GOLANGCI_LINT_VERSION" "$BIN/golangci-lint"; return 0
  fi
  local gobin="$BUILD/golangci-lint"
  rm -rf "$gobin"; mkdir -p "$gobin"
  log "building golangci-lint $GOLANGCI_LINT_VERSION from the Go module proxy"
  # -mod=mod from GOFLAGS does not apply to `go install m@v`; clear GOFLAGS.
  (cd "$gobin" && GOFLAGS=-buildvcs=false GOBIN="$gobin" go install -ldflags "-s -w" \
      "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION") &&
    mv -f "$gobin/golangci-lint" "$out" ||
    { log "building golangci-lint $GOLANGCI_LINT_VERSION failed"; exit 1; }
  # A build that produced something other than the pinned version must fail.
  "$out" version --short | grep -x "${GOLANGCI_LINT_VERSION#v}" >/dev/null ||
    { log "golangci-lint at $out is not $GOLANGCI_LINT_VERSION"; "$out" version >&2; exit 1; }
  ln -sfn "golangci-lint-$GOLANGCI_LINT_VERSION" "$BIN/golangci-lint"
}

build_kube_apiserver() {
  local out="$BIN/kube-apiserver-$KUBE_VERSION" dir="$BUILD/kube-apiserver"
  if [[ -x "$out" ]] && "$out" --version 2>/dev/null | grep -x "Kubernetes $KUBE_VERSION" >/dev/null; then
    log "kube-apiserver $KUBE_VERSION already built"; return 0
  fi
  mkdir -p "$dir"
  local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  {
    printf 'module alicloud-ccm.local/kubeapiserverbuild\n\ngo 1.26.0\n\n'
    printf 'require k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
    for m in "${KUBE_STAGING[@]}"; do
      printf '\tk8s.io/%s => k8s.io/%s v0.%s\n' "$m" "$m" "${KUBE_VERSION#v1.}"
    done
    printf ')\n'
  } >"$dir/go.mod.new"
  # Only rewrite go.mod when it changed so `go build -mod=mod` keeps the
  # requirements it added on a previous run.
  cmp -s "$dir/go.mod.new" "$dir/go.mod.base" 2>/dev/null || { cp "$dir/go.mod.new" "$dir/go.mod"; cp "$dir/go.mod.new" "$dir/go.mod.base"; }
  rm -f "$dir/go.mod.new"
  log "building kube-apiserver $KUBE_VERSION from the Go module proxy (~6 min cold)"
  (cd "$dir" && go build -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$minor \
      -X k8s.io/component-base/version.gitTreeState=clean" \
      -o "$out.tmp" k8s.io/kubernetes/cmd/kube-apiserver) &&
    mv -f "$out.tmp" "$out"
  ln -sfn "kube-apiserver-$KUBE_VERSION" "$BIN/kube-apiserver"
}

write_env() {
  cat >"$BIN/env.sh" <<ENV
# Generated by hack/test-binaries.sh; source it before running go test ./test/...
export ETCD_BIN="$BIN/etcd"
export KUBE_APISERVER_BIN="$BIN/kube-apiserver"
export HELM_BIN="$BIN/helm"
ENV
}

start=$SECONDS
if [[ "${1:-}" == "helm" ]]; then
  build_helm
  write_env
  exit 0
fi
if [[ "${1:-}" == "golangci-lint" ]]; then
  build_golangci_lint
  write_env
  exit 0
fi
# The two builds are independent modules; running them concurrently overlaps
# the proxy downloads of one with the compilation of the other.
etcd_rc=0
if [[ "${ETCD_SOURCE:-go}" == "apt" ]]; then
  install_etcd_apt
else
  build_etcd_go & etcd_pid=$!
  # If the kube-apiserver build fails, do not leave the etcd build running.
  trap '[[ -n "${etcd_pid:-}" ]] && kill "$etcd_pid" 2>/dev/null; true' EXIT
fi
build_kube_apiserver
build_helm
if [[ "${ETCD_SOURCE:-go}" != "apt" ]]; then
  wait "$etcd_pid" || etcd_rc=$?
  etcd_pid=""
  if [[ $etcd_rc -eq 0 ]]; then
    ln -sfn "etcd-$ETCD_VERSION" "$BIN/etcd"
  else
    log "Go build of etcd failed (rc=$etcd_rc); falling back to Debian etcd-server"
    install_etcd_apt
  fi
fi

write_env
log "done in $((SECONDS - start))s"
echo "ETCD_BIN=$BIN/etcd"
echo "KUBE_APISERVER_BIN=$BIN/kube-apiserver"
echo "HELM_BIN=$BIN/helm"
echo "env file: $BIN/env.sh"
