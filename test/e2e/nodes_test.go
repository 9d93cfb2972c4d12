package e2e

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/alicloud-ccm/alicloud-ccm/controllers/providerid"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// nodeTimeout covers a few lifecycle-monitor periods plus retries on 2 busy cores.
const nodeTimeout = 90 * time.Second

// nodeWorld is the node tests' cluster: its own control plane, an emulator
// with extra instances and one CCM with short node periods.
type nodeWorld struct {
	cs     kubernetes.Interface
	emu    *framework.Emulator
	ccm    *framework.CCMProcess
	region string
}

// Extra instances: one per scenario, with addresses no other test uses.
var nodeInstances = map[string]emulator.Instance{
	"init":     {InstanceID: "i-bp1e2enodeinit000000", PrivateIP: "192.168.0.51", PublicIP: "47.96.0.51", InstanceType: "ecs.g7.large", HostName: "ecs-init"},
	"backfill": {InstanceID: "i-bp1e2enodebackfill00", PrivateIP: "192.168.1.52", InstanceType: "ecs.c7.large"},
	"gone":     {InstanceID: "i-bp1e2enodegone000000", PrivateIP: "192.168.0.53"},
	"outage":   {InstanceID: "i-bp1e2enodeoutage0000", PrivateIP: "192.168.1.54"},
	"ramgone":  {InstanceID: "i-bp1e2enoderamgone000", PrivateIP: "192.168.0.55"},
}

// ramHidden are instances a RAM policy hides from ID-filtered
// DescribeInstances calls (as many NotReady nodes as were lost in the field).
var ramHidden = func() []emulator.Instance {
	var out []emulator.Instance
	for i := range 6 {
		out = append(out, emulator.Instance{InstanceID: fmt.Sprintf("i-bp1e2enoderam%08d", i), PrivateIP: fmt.Sprintf("192.168.%d.%d", i%2, 60+i)})
	}
	return out
}()

// TestNodes runs the node scenarios against the real CCM binary. It starts
// its own etcd and kube-apiserver: the lifecycle controller deletes NotReady
// nodes whose instance its emulator does not know, which must never touch
// the nodes of other tests sharing the package's control plane (nor may
// their CCMs see ours).
func TestNodes(t *testing.T) {
	t.Parallel()
	w := startNodeWorld(t)
	t.Run("initialises a tainted node", w.testInit)
	t.Run("back-fills the providerID of a running node", w.testBackfill)
	t.Run("lifecycle deletes only nodes whose instance ECS says is gone", w.testLifecycle)
	t.Run("instances a RAM policy hides from ID-filtered calls are not gone", w.testRAMHidden)
}

func startNodeWorld(t *testing.T) *nodeWorld {
	cp := framework.Dedicated(t)
	emu := framework.StartEmulator(t)
	for _, key := range []string{"init", "backfill", "gone", "outage", "ramgone"} {
		in := nodeInstances[key]
		in.VpcID = emu.VpcID
		in.VSwitchID, in.ZoneID = vswitchOf(emu, in.PrivateIP)
		if err := emu.Emulator.AddInstance(in); err != nil {
			t.Fatal(err)
		}
		nodeInstances[key] = in
	}
	for i, in := range ramHidden {
		in.VpcID = emu.VpcID
		in.VSwitchID, in.ZoneID = vswitchOf(emu, in.PrivateIP)
		if err := emu.Emulator.AddInstance(in); err != nil {
			t.Fatal(err)
		}
		ramHidden[i] = in
	}
	cloudConfig := framework.WriteCloudConfig(t, emu.CloudConfig())
	ccm := framework.StartCCM(t, cp,
		"--cloud-provider=alicloud", "--cloud-config="+cloudConfig,
		"--leader-elect=false", "--use-service-account-credentials=true",
		"--configure-cloud-routes=false",
		"--node-monitor-period=1s", "--node-status-update-frequency=10s")
	ccm.WaitHealthy(t, startTimeout)
	return &nodeWorld{cs: cp.Client, emu: emu, ccm: ccm, region: emu.Region}
}

// nodeSpec describes a node the test creates as kubelet would register it.
type nodeSpec struct {
	providerID  string
	internalIP  string
	labels      map[string]string
	uninit      bool
	notReady    bool
	hostAddress string
	// images: kubelet's image and volume lists and capacity in the status, which the
	// CCM's informers drop from their cache (controllers/slimcache).
	images bool
}

// kubeletImages and kubeletVolumes are the status lists of a nodeSpec
// with images.
var (
	kubeletImages  = []corev1.ContainerImage{{Names: []string{"registry.example/app@sha256:0123", "registry.example/app:v1"}, SizeBytes: 1 << 20}}
	kubeletVolumes = []corev1.UniqueVolumeName{"kubernetes.io/csi/diskplugin.csi.alibabacloud.com^d-1"}
	kubeletCap     = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourcePods: resource.MustParse("64")}
)

func (w *nodeWorld) createNode(t *testing.T, name string, s nodeSpec) {
	t.Helper()
	ctx := framework.Ctx(t)
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: s.labels}, Spec: corev1.NodeSpec{ProviderID: s.providerID}}
	if s.uninit {
		n.Spec.Taints = []corev1.Taint{framework.UninitializedTaint}
	}
	created, err := w.cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating node %s: %v", name, err)
	}
	ready := corev1.ConditionTrue
	if s.notReady {
		ready = corev1.ConditionFalse
	}
	now := metav1.Now()
	created.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "E2E", LastHeartbeatTime: now, LastTransitionTime: now}}
	if s.internalIP != "" {
		created.Status.Addresses = append(created.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: s.internalIP})
	}
	host := s.hostAddress
	if host == "" {
		host = name
	}
	created.Status.Addresses = append(created.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: host})
	if s.images {
		created.Status.Images, created.Status.VolumesInUse = kubeletImages, kubeletVolumes
		created.Status.Capacity, created.Status.Allocatable = kubeletCap, kubeletCap
	}
	if _, err := w.cs.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("node %s status: %v", name, err)
	}
}

func (w *nodeWorld) getNode(t *testing.T, name string) (*corev1.Node, error) {
	return w.cs.CoreV1().Nodes().Get(framework.Ctx(t), name, metav1.GetOptions{})
}

func (w *nodeWorld) testInit(t *testing.T) {
	in := nodeInstances["init"]
	name := framework.UniqueName("e2e-init")
	w.createNode(t, name, nodeSpec{internalIP: in.PrivateIP, uninit: true, images: true})
	want := map[string]string{
		corev1.LabelTopologyZone:       in.ZoneID,
		corev1.LabelTopologyRegion:     w.region,
		corev1.LabelInstanceTypeStable: in.InstanceType,
	}
	var node *corev1.Node
	framework.WaitFor(t, nodeTimeout, "the cloud-node controller to initialise "+name, func() (bool, error) {
		var err error
		if node, err = w.getNode(t, name); err != nil {
			return false, err
		}
		// Only the CCM's taint: the apiserver's TaintNodesByCondition admission
		// adds node.kubernetes.io/not-ready to new nodes.
		if !hasTaint(node, framework.UninitializedTaint.Key) && node.Spec.ProviderID != "" {
			return true, nil
		}
		return false, fmt.Errorf("taints %v, providerID %q", node.Spec.Taints, node.Spec.ProviderID)
	})
	if got, wantID := node.Spec.ProviderID, w.region+"."+in.InstanceID; got != wantID {
		t.Errorf("providerID = %q, want %q", got, wantID)
	}
	for k, v := range want {
		if node.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, node.Labels[k], v)
		}
	}
	framework.WaitFor(t, nodeTimeout, "addresses of "+name, func() (bool, error) {
		node, err := w.getNode(t, name)
		if err != nil {
			return false, err
		}
		got := map[corev1.NodeAddressType]string{}
		for _, a := range node.Status.Addresses {
			got[a.Type] = a.Address
		}
		if got[corev1.NodeInternalIP] == in.PrivateIP && got[corev1.NodeExternalIP] == in.PublicIP && got[corev1.NodeHostName] == name {
			return true, nil
		}
		return false, fmt.Errorf("addresses %v", node.Status.Addresses)
	})
	// The CCM's cache has no images, volumes, capacity or managedFields, yet its
	// writes (the initialising PUT of the node, the address patch) keep
	// them on the node.
	node, err := w.getNode(t, name)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(node.Status.Images, kubeletImages) || !reflect.DeepEqual(node.Status.VolumesInUse, kubeletVolumes) {
		t.Errorf("after initialisation images = %v, volumesInUse = %v; want kubelet's %v, %v",
			node.Status.Images, node.Status.VolumesInUse, kubeletImages, kubeletVolumes)
	}
	if !equality.Semantic.DeepEqual(node.Status.Capacity, kubeletCap) || !equality.Semantic.DeepEqual(node.Status.Allocatable, kubeletCap) {
		t.Errorf("after initialisation capacity = %v, allocatable = %v; want kubelet's %v", node.Status.Capacity, node.Status.Allocatable, kubeletCap)
	}
	if len(node.ManagedFields) == 0 {
		t.Error("after initialisation the node has no managedFields")
	}
}

func (w *nodeWorld) testBackfill(t *testing.T) {
	in := nodeInstances["backfill"]
	name := framework.UniqueName("e2e-running")
	w.createNode(t, name, nodeSpec{internalIP: in.PrivateIP})
	framework.WaitFor(t, nodeTimeout, "the node-provider-id controller to set the providerID of "+name, func() (bool, error) {
		node, err := w.getNode(t, name)
		if err != nil {
			return false, err
		}
		if node.Spec.ProviderID == w.region+"."+in.InstanceID {
			return true, nil
		}
		return false, fmt.Errorf("providerID %q", node.Spec.ProviderID)
	})
	framework.WaitFor(t, nodeTimeout, "a "+providerid.EventReasonProviderIDSet+" event on "+name, func() (bool, error) {
		return w.hasEvent(t, name, providerid.EventReasonProviderIDSet)
	})

	// A data-centre node (address outside ECS) is not given a providerID
	// but gets a Warning that says what to do.
	dc := framework.UniqueName("e2e-idc")
	w.createNode(t, dc, nodeSpec{internalIP: "10.20.30.40"})
	framework.WaitFor(t, nodeTimeout, "a "+providerid.EventReasonInstanceNotFound+" event on "+dc, func() (bool, error) {
		return w.hasEvent(t, dc, providerid.EventReasonInstanceNotFound)
	})
	if node, err := w.getNode(t, dc); err != nil || node.Spec.ProviderID != "" {
		t.Errorf("data-centre node: providerID %q, err %v; want none", node.Spec.ProviderID, err)
	}
}

func (w *nodeWorld) hasEvent(t *testing.T, node, reason string) (bool, error) {
	sel := fields.Set{"involvedObject.name": node, "reason": reason}.AsSelector().String()
	evs, err := w.cs.CoreV1().Events(metav1.NamespaceAll).List(framework.Ctx(t), metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return false, err
	}
	return len(evs.Items) > 0, nil
}

func (w *nodeWorld) testLifecycle(t *testing.T) {
	gone, outage := nodeInstances["gone"], nodeInstances["outage"]
	// The instance is released before its (NotReady) node shows up, so no
	// earlier "present" answer sits in the CCM's cache.
	if err := w.emu.Emulator.DeleteInstance(gone.InstanceID); err != nil {
		t.Fatal(err)
	}
	goneNode := framework.UniqueName("e2e-gone")
	vnode := framework.UniqueName("virtual-kubelet")
	dc := framework.UniqueName("e2e-idc-notready")
	w.createNode(t, vnode, nodeSpec{notReady: true, labels: map[string]string{"type": "virtual-kubelet"}, providerID: w.region + "." + gone.InstanceID})
	w.createNode(t, dc, nodeSpec{notReady: true, internalIP: "10.20.30.41"})
	w.createNode(t, goneNode, nodeSpec{notReady: true, providerID: w.region + "." + gone.InstanceID, internalIP: gone.PrivateIP})
	w.waitDeleted(t, goneNode)
	// Let the lifecycle controller (1 s period) look at the others a few more times.
	time.Sleep(5 * time.Second)
	for _, n := range []string{vnode, dc} {
		if _, err := w.getNode(t, n); err != nil {
			t.Errorf("node %s: %v; a VNode or data-centre node must never be deleted", n, err)
		}
	}

	// ECS outage: the instance is released but the API cannot say so.
	w.emu.Emulator.SetFaults(emulator.FaultProfile{Outages: []emulator.Outage{{Product: "Ecs", Calls: 1 << 30}}})
	t.Cleanup(func() { w.emu.Emulator.SetFaults(emulator.FaultProfile{}) })
	if err := w.emu.Emulator.DeleteInstance(outage.InstanceID); err != nil {
		t.Fatal(err)
	}
	outageNode := framework.UniqueName("e2e-outage")
	w.createNode(t, outageNode, nodeSpec{notReady: true, providerID: w.region + "." + outage.InstanceID})
	before := w.emu.Emulator.CallCount("DescribeInstances", "ServiceUnavailable")
	framework.WaitFor(t, nodeTimeout, "the CCM to ask ECS about "+outageNode+" during the outage", func() (bool, error) {
		return w.emu.Emulator.CallCount("DescribeInstances", "ServiceUnavailable") > before, nil
	})
	time.Sleep(5 * time.Second)
	if _, err := w.getNode(t, outageNode); err != nil {
		t.Fatalf("node %s during the ECS outage: %v; it must not be deleted while ECS cannot answer", outageNode, err)
	}
	// Once ECS answers again it says the instance is gone: only then is the
	// node deleted, which shows the outage was what kept it.
	w.emu.Emulator.SetFaults(emulator.FaultProfile{})
	w.waitDeleted(t, outageNode)
}

// vswitchOf returns the seeded vSwitch (and zone) whose CIDR 192.168.<i>.0/24 holds ip.
func vswitchOf(emu *framework.Emulator, ip string) (vswitch, zone string) {
	i := 0
	if strings.HasPrefix(ip, "192.168.1.") {
		i = 1
	}
	return emu.VSwitches[i], emu.Zones[i]
}

// testRAMHidden: a RAM policy that grants ecs:DescribeInstances on only some
// instance resources makes ID-filtered calls come back without the others,
// as if they were gone, while a VPC-wide listing still shows them. Their
// NotReady nodes must stay; a node whose instance really is gone still goes.
func (w *nodeWorld) testRAMHidden(t *testing.T) {
	var ids []string
	for _, in := range ramHidden {
		ids = append(ids, in.InstanceID)
	}
	w.emu.Emulator.SetRAMVisibility(emulator.RAMHiddenFromIDFilter, ids...)
	t.Cleanup(func() { w.emu.Emulator.SetRAMVisibility(emulator.RAMVisible, ids...) })
	gone := nodeInstances["ramgone"]
	if err := w.emu.Emulator.DeleteInstance(gone.InstanceID); err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, in := range ramHidden {
		name := framework.UniqueName(fmt.Sprintf("e2e-ram%d", i))
		names = append(names, name)
		w.createNode(t, name, nodeSpec{notReady: true, providerID: w.region + "." + in.InstanceID, internalIP: in.PrivateIP})
	}
	goneNode := framework.UniqueName("e2e-ramgone")
	w.createNode(t, goneNode, nodeSpec{notReady: true, providerID: w.region + "." + gone.InstanceID, internalIP: gone.PrivateIP})
	asked := func() int {
		n := 0
		for _, a := range w.emu.Emulator.Audit() {
			if a.Action == "DescribeInstances" && a.Code == "OK" && strings.Contains(a.Params["InstanceIds"], ids[0]) {
				n++
			}
		}
		return n
	}
	framework.WaitFor(t, nodeTimeout, "the CCM to ask ECS about the hidden instances", func() (bool, error) {
		return asked() > 0, nil
	})
	// The really gone one is deleted: the comparison still lets "gone" through.
	w.waitDeleted(t, goneNode)
	// Let the lifecycle controller (1 s period) look a few more times.
	time.Sleep(5 * time.Second)
	lost := 0
	for _, n := range names {
		if _, err := w.getNode(t, n); err != nil {
			t.Errorf("node %s: %v; an instance only hidden from ID-filtered calls is not gone", n, err)
			lost++
		}
	}
	t.Logf("%d of %d NotReady nodes with RAM-hidden instances deleted; %d ID-filtered DescribeInstances calls named them",
		lost, len(names), asked())
	for _, n := range names {
		w.deleteNodeQuietly(n)
	}
}

func (w *nodeWorld) deleteNodeQuietly(name string) {
	_ = w.cs.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
}

func hasTaint(node *corev1.Node, key string) bool {
	for _, tn := range node.Spec.Taints {
		if tn.Key == key {
			return true
		}
	}
	return false
}

func (w *nodeWorld) waitDeleted(t *testing.T, name string) {
	t.Helper()
	framework.WaitFor(t, nodeTimeout, "the lifecycle controller to delete "+name, func() (bool, error) {
		_, err := w.cs.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
}
