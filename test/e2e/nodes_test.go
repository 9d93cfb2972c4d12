package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// TestNodeInitialization: a Node registered by kubelet --cloud-provider=external
// (uninitialized taint, providerID of an ECS instance) is initialized by the
// CCM from the emulated ECS API: taint removed, topology and instance-type
// labels and the instance's private address set.
func TestNodeInitialization(t *testing.T) {
	t.Parallel()
	cp := framework.Shared(t)
	cloudConfig, emu := writeSeedCloudConfig(t)
	// Its own lease, so it leads at once whatever the other tests run.
	ccm := framework.StartCCM(t, cp, append(seedArgs(cloudConfig),
		"--leader-elect-resource-name="+framework.UniqueName("ccm-nodes"))...)
	ccm.WaitHealthy(t, startTimeout)

	inst := emu.Instances[1]
	name := framework.UniqueName("node")
	framework.CreateNode(t, cp.Client, name, framework.NodeOptions{
		ProviderID: emu.ProviderID(1), Uninitialized: true,
	})
	var node *corev1.Node
	framework.WaitFor(t, 30*time.Second, "node "+name+" to lose the uninitialized taint", func() (bool, error) {
		n, err := cp.Client.CoreV1().Nodes().Get(framework.Ctx(t), name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("getting node: %w", err)
		}
		node = n
		return !slices.ContainsFunc(n.Spec.Taints, func(tn corev1.Taint) bool {
			return tn.Key == framework.UninitializedTaint.Key
		}), nil
	})
	for label, want := range map[string]string{
		corev1.LabelTopologyRegion: emu.Region,
		corev1.LabelTopologyZone:   inst.ZoneID,
	} {
		if got := node.Labels[label]; got != want {
			t.Errorf("label %s = %q, want %q", label, got, want)
		}
	}
	if node.Labels[corev1.LabelInstanceTypeStable] == "" {
		t.Errorf("label %s not set: %v", corev1.LabelInstanceTypeStable, node.Labels)
	}
	if !slices.Contains(node.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: inst.PrivateIP}) {
		t.Errorf("addresses %v lack InternalIP %s", node.Status.Addresses, inst.PrivateIP)
	}
	if n := emu.Emulator.CallCount("DescribeInstances", "OK"); n < 1 {
		t.Errorf("emulator saw %d successful DescribeInstances calls, want >= 1", n)
	}
}
