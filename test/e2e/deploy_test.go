package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// forbiddenRE matches an apiserver RBAC denial as client-go logs it (klog
// quotes the message, so the user name's quotes may be escaped).
var forbiddenRE = regexp.MustCompile(`is forbidden: User \\?"[^"\\]+\\?" cannot [a-z]+ resource \\?"[^"\\]+`)

// TestDeployRBAC runs the CCM with exactly the permissions
// examples/deploy/ccm.yaml grants: its RBAC objects are applied for real,
// and the CCM authenticates as the cloud-controller-manager service
// account (with --use-service-account-credentials, as in the DaemonSet). It
// must lead, initialize a node, serve /metrics through delegated
// authentication and authorization, and log no RBAC denial.
func TestDeployRBAC(t *testing.T) {
	t.Parallel()
	cp := framework.Dedicated(t) // the CCM acts on every Node; RBAC is applied for real
	docs, err := decodeFile(filepath.Join("..", "..", "examples", "deploy", "ccm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a := newApplier(t, cp, false)
	for _, d := range docs {
		if d.obj.GetKind() != "DaemonSet" { // no kubelet would run it
			a.apply(t, d.obj)
		}
	}
	kubeconfig := cp.ServiceAccountKubeconfig(t, "kube-system", "cloud-controller-manager")

	cloudConfig, emu := writeSeedCloudConfig(t)
	leaseName := framework.UniqueName("ccm-rbac")
	ccm := framework.StartCCM(t, cp, append(framework.SeedArgs(cloudConfig),
		"--leader-elect-resource-name="+leaseName,
		"--kubeconfig="+kubeconfig,
		"--authentication-kubeconfig="+kubeconfig,
		"--authorization-kubeconfig="+kubeconfig,
	)...)
	ccm.WaitHealthy(t, startTimeout)
	// /metrics with the admin token: the CCM reviews it with its own
	// (service account) credentials, so this exercises system:auth-delegator.
	framework.WaitFor(t, startTimeout, "the CCM to lead "+leaseName, func() (bool, error) {
		if ccm.Exited() {
			t.Fatalf("CCM exited: %v", ccm.ExitError())
		}
		return isLeader(cp, ccm, leaseName), nil
	})

	name := framework.UniqueName("rbac-node")
	framework.CreateNode(t, cp.Client, name, framework.NodeOptions{ProviderID: emu.ProviderID(2), Uninitialized: true})
	framework.WaitFor(t, 30*time.Second, "node "+name+" to be initialized", func() (bool, error) {
		n, err := cp.Client.CoreV1().Nodes().Get(framework.Ctx(t), name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("getting node: %w", err)
		}
		return !slices.ContainsFunc(n.Spec.Taints, func(tn corev1.Taint) bool {
			return tn.Key == framework.UninitializedTaint.Key
		}), nil
	})
	code, _, err := ccm.SecureGet("/metrics", cp.Token)
	if err != nil || code != http.StatusOK {
		t.Errorf("HTTPS /metrics with the admin token: %d, %v", code, err)
	}
	// Informers list and watch in the background; give a denial time to show.
	time.Sleep(2 * time.Second)
	if m := forbiddenRE.FindAllString(ccm.Logs(), 10); len(m) > 0 {
		t.Errorf("the CCM was denied by RBAC with examples/deploy/ccm.yaml's permissions:\n%v", m)
	}
}
