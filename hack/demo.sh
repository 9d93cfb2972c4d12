#!/usr/bin/env bash
# `make demo`: installs what the demo needs (etcd and kube-apiserver, through
# hack/test-binaries.sh, cached in ~/.cache/alicloud-ccm), builds the CCM with
# the Makefile's version stamp, then runs the demo program (test/demo), which
# starts a local control plane, the emulator and the CCM, applies the
# deployment guide's example Service and shows what the CCM did. It runs
# until Ctrl-C and then cleans up.
#
# Environment (all optional):
#   DEMO_DIR=.demo            work directory (kubeconfig, cloud-config, logs)
#   DEMO_KEEP=1               keep the work directory on exit
#   DEMO_EXIT_AFTER_CHECK=1   exit after the report: 0 if the CCM did its job, else 1
#   DEMO_EMULATOR_API / _METADATA / _CONTROL   emulator addresses (127.0.0.1:9080/9081/9082)
#   DEMO_SECURE_PORT          CCM --secure-port (default 10258, or a free port)
#   DEMO_WAIT=60s             how long to wait for the CCM's work
set -euo pipefail
cd "$(dirname "$0")/.."

GO="${GO:-go}"
log() { printf '[demo] %s\n' "$*" >&2; }

command -v "$GO" >/dev/null || { log "Go is required (go.mod asks for $(awk '/^go /{print $2}' go.mod))"; exit 1; }

log "checking etcd and kube-apiserver (the first run builds them: ~6-9 min on 2 cores)"
hack/test-binaries.sh >/dev/null
# shellcheck disable=SC1091
source "${ALICLOUD_CCM_CACHE:-$HOME/.cache/alicloud-ccm}/bin/env.sh"

log "building the cloud-controller-manager and the demo (a few minutes the first time)"
make --no-print-directory build >/dev/null
mkdir -p bin
# Same flags as `make build`, so both share the build cache on a cold machine.
CGO_ENABLED=0 "$GO" build -trimpath -o bin/demo ./test/demo

export CCM_BIN="$PWD/bin/cloud-controller-manager"
# exec: Ctrl-C goes straight to the demo, which stops its children in order.
exec bin/demo "$@"
