package chart

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// manifestHeader opens examples/deploy/ccm.yaml; the rest is the chart
// rendered with its default values.
const manifestHeader = `# Deployment of the alicloud cloud-controller-manager on a self-managed
# cluster, derived from Alibaba Cloud's guide "Deploy the CCM in a
# self-managed Kubernetes cluster". Create the kube-system/cloud-config
# ConfigMap first (configmap-ccm.sh or cloud-config.yaml), then:
#   kubectl apply -f ccm.yaml
#
# GENERATED from charts/alicloud-ccm with its default values by ` + "`make manifests`" + `;
# do not edit (a test fails when it is stale). The chart
# (helm install alicloud-ccm charts/alicloud-ccm -n kube-system) takes the same
# defaults and more options.
#
# Compared with the guide: the same ClusterRole, bindings, ServiceAccount and
# DaemonSet command line, plus the permissions this CCM needs on current
# Kubernetes (watching leases, EndpointSlices, service-account tokens for
# --use-service-account-credentials, delegated authentication for /metrics)
# and a Role for its verified-backends ConfigMap in kube-system.
`

// renderManifest is examples/deploy/ccm.yaml as the chart renders it now.
func renderManifest(t *testing.T) string {
	t.Helper()
	helm := helmOrSkip(t)
	out, err := Template(helm)
	if err != nil {
		t.Fatal(err)
	}
	return manifestHeader + out
}

// TestManifestIsFresh fails when examples/deploy/ccm.yaml differs from the
// chart rendered with default values. UPDATE_MANIFESTS=1 (make manifests)
// rewrites it.
func TestManifestIsFresh(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "examples", "deploy", "ccm.yaml")
	want := renderManifest(t)
	if os.Getenv("UPDATE_MANIFESTS") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("examples/deploy/ccm.yaml is stale: run `make manifests` (it renders charts/alicloud-ccm with default values)")
	}
}

func helmOrSkip(t testing.TB) string {
	t.Helper()
	helm, err := Helm()
	if err != nil {
		framework.SkipOrFail(t, err.Error())
	}
	return helm
}
