package framework

import (
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMain(m *testing.M) {
	os.Exit(Main(m, ControlPlaneOptions{}))
}

// TestObjectHelpers checks the helpers against the real apiserver.
func TestObjectHelpers(t *testing.T) {
	cp := Shared(t)
	cs := cp.Client
	ns := CreateNamespace(t, cs)

	eci := CreateNode(t, cs, UniqueName("eci"), NodeOptions{
		Uninitialized: true, Labels: map[string]string{"type": "virtual-kubelet"}, InternalIP: "192.168.0.10",
	})
	if !slices.ContainsFunc(eci.Spec.Taints, func(tn corev1.Taint) bool { return tn.Key == UninitializedTaint.Key }) {
		t.Errorf("node %s lacks the uninitialized taint: %v", eci.Name, eci.Spec.Taints)
	}
	if len(eci.Status.Addresses) != 1 || eci.Status.Addresses[0].Address != "192.168.0.10" {
		t.Errorf("node status addresses = %v", eci.Status.Addresses)
	}
	ecs := CreateNode(t, cs, UniqueName("ecs"), NodeOptions{ProviderID: "cn-hangzhou.i-abc"})
	if ecs.Spec.ProviderID != "cn-hangzhou.i-abc" {
		t.Errorf("providerID = %q", ecs.Spec.ProviderID)
	}

	svc := CreateLoadBalancerService(t, cs, ns, "nginx", ServiceOptions{})
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || svc.Spec.Ports[0].NodePort == 0 {
		t.Errorf("service spec = %+v", svc.Spec)
	}
	pod := CreatePod(t, cs, ns, "nginx-1", PodOptions{Labels: map[string]string{"app": "nginx"}, NodeName: eci.Name, PodIP: "10.1.0.5"})
	if pod.Status.Phase != corev1.PodRunning || pod.Status.PodIP != "10.1.0.5" {
		t.Errorf("pod status = %+v", pod.Status)
	}
	slice := CreateEndpointSlice(t, cs, svc, Endpoint{IP: "10.1.0.5", NodeName: eci.Name})
	if *slice.Ports[0].Port != 80 || slice.Endpoints[0].Addresses[0] != "10.1.0.5" {
		t.Errorf("endpointslice = %+v", slice)
	}

	WaitFor(t, 10*time.Second, "the endpointslice to be listed by service label", func() (bool, error) {
		l, err := cs.DiscoveryV1().EndpointSlices(ns).List(Ctx(t), metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=nginx"})
		return err == nil && len(l.Items) == 1, err
	})
}

// TestPollTimeout checks that Poll names what it waited for and the last error.
func TestPollTimeout(t *testing.T) {
	err := Poll(300*time.Millisecond, "the impossible", func() (bool, error) { return false, os.ErrNotExist })
	if err == nil || !strings.Contains(err.Error(), "the impossible") || !strings.Contains(err.Error(), "file does not exist") {
		t.Fatalf("Poll error = %v", err)
	}
}

// TestFlagValue checks both flag spellings.
func TestFlagValue(t *testing.T) {
	args := []string{"--a=1", "--b", "2", "--c"}
	for _, c := range []struct {
		name, want string
		ok         bool
	}{{"a", "1", true}, {"b", "2", true}, {"c", "", true}, {"d", "", false}} {
		if v, ok := flagValue(args, c.name); v != c.want || ok != c.ok {
			t.Errorf("flagValue(%q) = %q, %v", c.name, v, ok)
		}
	}
}

// TestStartEmulator checks the seeded world and that every endpoint of the
// generated cloud-config is on loopback.
func TestStartEmulator(t *testing.T) {
	e := StartEmulator(t)
	if len(e.Instances) != 3 || e.RouteTableID == "" || len(e.VSwitches) != 2 {
		t.Fatalf("seeded world: %d instances, route table %q, vSwitches %v", len(e.Instances), e.RouteTableID, e.VSwitches)
	}
	if got, want := e.ProviderID(0), "cn-hangzhou."+e.Instances[0].InstanceID; got != want {
		t.Errorf("ProviderID(0) = %q, want %q", got, want)
	}
	g := e.CloudConfig()["Global"]
	for _, k := range []string{"slbEndpoint", "vpcEndpoint", "ecsEndpoint", "nlbEndpoint", "stsEndpoint", "metadataEndpoint"} {
		if v, _ := g[k].(string); !strings.HasPrefix(v, "http://127.0.0.1:") {
			t.Errorf("%s = %q, want http://127.0.0.1:<port>", k, g[k])
		}
	}
	code, _, err := get(&http.Client{Timeout: 5 * time.Second}, e.MetadataURL+"/latest/meta-data/instance-id", "")
	if err != nil || code == 0 {
		t.Errorf("metadata service: %d, %v", code, err)
	}
}
