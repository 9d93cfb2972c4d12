package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// routeTimeout covers a few --route-reconciliation-period rounds on 2 busy cores.
const routeTimeout = 90 * time.Second

// routeNodes is enough nodes for two CreateRouteEntries batches (50 + 10).
const routeNodes = 60

// routeWorld is one test's emulated VPC with instances for its nodes.
type routeWorld struct {
	emu       *framework.Emulator
	instances []string // one per node, unique to this test
	orphanIns string   // an instance that is no node's
	prefix    string   // node name prefix
}

// newRouteWorld seeds instances with IDs unique to this test, so no other
// node can name them.
func newRouteWorld(t *testing.T, n int) *routeWorld {
	emu := framework.StartEmulator(t)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	tag := hex.EncodeToString(b)
	w := &routeWorld{emu: emu, prefix: framework.UniqueName("rt")}
	var seed emulator.SeedState
	for i := range n + 1 {
		id := fmt.Sprintf("i-bp1rt%s%08d", tag, i)
		seed.Instances = append(seed.Instances, emulator.Instance{InstanceID: id, ZoneID: emu.Zones[0], VpcID: emu.VpcID,
			VSwitchID: emu.VSwitches[0], PrivateIP: fmt.Sprintf("192.168.0.%d", 100+i)})
		if i < n {
			w.instances = append(w.instances, id)
		} else {
			w.orphanIns = id
		}
	}
	if err := emu.Emulator.Seed(seed); err != nil {
		t.Fatal(err)
	}
	// The nodes' primary ENIs check source and destination, as the ECS
	// console recommends: the CCM must turn that off.
	for _, n := range w.primaryENIs() {
		if err := emu.Emulator.SetSourceDestCheck(n.NetworkInterfaceID, true); err != nil {
			t.Fatal(err)
		}
	}
	emu.Emulator.SetFaults(routeFaults())
	return w
}

// routeFaults adds a little latency, which keeps calls in flight, so
// overlapping writes would show up as TaskConflict.
func routeFaults(errs ...emulator.ErrorRule) emulator.FaultProfile {
	return emulator.FaultProfile{Latency: map[string]emulator.LatencySpec{"*": {Fixed: emulator.Duration(20 * time.Millisecond)}}, Errors: errs}
}

// primaryENIs returns the primary ENIs of the world's node instances, in node order.
func (w *routeWorld) primaryENIs() []emulator.ENI {
	byInstance := map[string]emulator.ENI{}
	for _, n := range w.emu.Emulator.Dump().ENIs {
		if n.Type == "Primary" {
			byInstance[n.InstanceID] = n
		}
	}
	out := make([]emulator.ENI, len(w.instances))
	for i, id := range w.instances {
		out[i] = byInstance[id]
	}
	return out
}

// checksOn returns the nodes whose primary ENI still checks source/destination.
func (w *routeWorld) checksOn() []string {
	var on []string
	for i, n := range w.primaryENIs() {
		if n.SourceDestCheck || n.NetworkInterfaceID == "" {
			on = append(on, w.nodeName(i))
		}
	}
	return on
}

func (w *routeWorld) nodeName(i int) string { return fmt.Sprintf("%s-%d", w.prefix, i) }

func routePodCIDR(i int) string { return fmt.Sprintf("172.16.%d.0/24", i) }

// Routes the test must never touch, and an orphan of a node deleted while
// no CCM ran.
var foreignRoutes = []emulator.SeedRouteEntry{
	{DestinationCidrBlock: "10.200.0.0/24", NextHopType: "Instance"},                                    // outside the cluster CIDR
	{DestinationCidrBlock: "172.16.250.0/24", NextHopType: "VpnGateway", NextHopID: "vpn-bp1e2e000000"}, // another next hop
	// Another cluster's CCM wrote it, into a pod CIDR inside ours: its
	// instance is no node of ours, yet it is not our orphan.
	{DestinationCidrBlock: "172.16.252.0/24", NextHopType: "Instance",
		Description: "Pod CIDR route of node other, managed by alicloud-ccm (cluster other-cluster)"},
}

// createRouteNode creates a Node with a providerID and spec.podCIDR(s), as
// kube-controller-manager's IPAM would have set them (--allocate-node-cidrs=false here).
func createRouteNode(t *testing.T, cs kubernetes.Interface, name, providerID string, labels map[string]string, cidrs ...string) {
	t.Helper()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.NodeSpec{ProviderID: providerID, PodCIDR: cidrs[0], PodCIDRs: cidrs},
	}
	if _, err := cs.CoreV1().Nodes().Create(framework.Ctx(t), node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating node %s: %v", name, err)
	}
	t.Cleanup(func() { deleteNode(t, cs, name) })
}

func deleteNode(t *testing.T, cs kubernetes.Interface, name string) {
	err := cs.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Logf("deleting node %s: %v", name, err)
	}
}

// grantNodeReader gives the provider's own identity (with
// --use-service-account-credentials: kube-system/cloud-controller-manager,
// formerly alicloud-cloud-provider) the node and event rights the deployment
// manifests grant it: the route capability resolves nodes through its node
// informer. Idempotent.
func grantNodeReader(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "e2e-routes-provider-identity"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}},
		// The cluster identity in the route markers (kube-system's UID).
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: []string{"kube-system"}, Verbs: []string{"get"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{
			{Kind: "ServiceAccount", Name: "cloud-controller-manager", Namespace: "kube-system"},
			{Kind: "ServiceAccount", Name: "alicloud-cloud-provider", Namespace: "kube-system"},
		}}
	if _, err := cs.RbacV1().ClusterRoles().Create(framework.Ctx(t), role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(framework.Ctx(t), binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// routeArgs is the seed command line with a short reconciliation period,
// IPAM off (the test sets pod CIDRs) and a lease of its own.
func routeArgs(cloudConfig string) []string {
	return append(framework.SeedArgs(cloudConfig),
		"--route-reconciliation-period=2s",
		"--allocate-node-cidrs=false",
		"--leader-elect-resource-name="+framework.UniqueName("routes"),
	)
}

// tableEntries returns the custom entries of the emulator's route table by CIDR.
func tableEntries(emu *framework.Emulator) map[string]emulator.DumpRouteEntr {
	out := map[string]emulator.DumpRouteEntr{}
	for _, rt := range emu.Emulator.Dump().RouteTables {
		if rt.RouteTableID == emu.RouteTableID {
			for _, e := range rt.Entries {
				if e.Type == "Custom" {
					out[e.DestinationCidrBlock] = e
				}
			}
		}
	}
	return out
}

// TestRoutes runs the CCM binary with --configure-cloud-routes against
// nodes with pod CIDRs: routes appear in batches, orphans and deleted
// nodes' routes go, foreign routes and VNodes are left alone, and a
// restarted CCM collects what was orphaned while it was down.
func TestRoutes(t *testing.T) {
	t.Parallel()
	// Dedicated: other tests' CCMs would delete these Nodes (their
	// emulators do not know the instances), and this CCM theirs.
	cp := framework.Dedicated(t)
	grantNodeReader(t, cp.Client)
	w := newRouteWorld(t, routeNodes)
	emu := w.emu
	seed := emulator.SeedState{RouteEntries: append([]emulator.SeedRouteEntry{}, foreignRoutes...)}
	seed.RouteEntries[0].NextHopID = emu.Instances[0].InstanceID
	seed.RouteEntries[2].NextHopID = w.orphanIns
	// The orphan: this cluster's CCM (no Global.clusterID: the identity is
	// the kube-system namespace's UID) wrote it for a node deleted while no
	// CCM ran.
	seed.RouteEntries = append(seed.RouteEntries, emulator.SeedRouteEntry{DestinationCidrBlock: "172.16.251.0/24", NextHopID: w.orphanIns,
		Description: "Pod CIDR route of node gone, " + clusterMarker(t, cp)})
	for i := range seed.RouteEntries {
		seed.RouteEntries[i].RouteTableID = emu.RouteTableID
	}
	if err := emu.Emulator.Seed(seed); err != nil {
		t.Fatal(err)
	}

	// Nodes exist before the CCM starts, as after a cluster bootstrap: the
	// first reconcile sees them all at once.
	for i, id := range w.instances {
		createRouteNode(t, cp.Client, w.nodeName(i), emu.Region+"."+id, nil, routePodCIDR(i))
	}
	vnode := w.prefix + "-vnode"
	createRouteNode(t, cp.Client, vnode, emu.Region+".vnd-bp1e2e0000000000", map[string]string{"type": "virtual-kubelet"}, "172.16.249.0/24")
	emu.Emulator.ResetAudit()

	cloudConfig := framework.WriteCloudConfig(t, emu.CloudConfig())
	ccm := framework.StartCCM(t, cp, routeArgs(cloudConfig)...)
	ccm.WaitHealthy(t, startTimeout)
	start := time.Now()

	framework.WaitFor(t, routeTimeout, fmt.Sprintf("%d routes Available and the orphan gone", routeNodes), func() (bool, error) {
		got := tableEntries(emu)
		for i, id := range w.instances {
			if e, ok := got[routePodCIDR(i)]; !ok || e.NextHopID != id || e.Status != "Available" {
				return false, fmt.Errorf("route %s: %+v (present %v)", routePodCIDR(i), e, ok)
			}
		}
		if _, ok := got["172.16.251.0/24"]; ok {
			return false, fmt.Errorf("orphan route still present")
		}
		return true, nil
	})
	t.Logf("%d routes Available %s after the CCM was healthy", routeNodes, time.Since(start).Round(time.Millisecond))
	creates := emu.Emulator.CallCount("CreateRouteEntries", "OK")
	if want := (routeNodes + 49) / 50; creates != want {
		t.Errorf("CreateRouteEntries calls = %d, want ceil(%d/50) = %d", creates, routeNodes, want)
	}
	checkNoConflicts(t, emu)
	checkForeignRoutes(t, emu)
	if _, ok := tableEntries(emu)["172.16.249.0/24"]; ok {
		t.Error("the VNode got a route")
	}
	// The source/destination check goes off once per instance, alongside
	// the route (CreateRoute returns when both are done).
	framework.WaitFor(t, routeTimeout, "the nodes' ENI source/destination checks off", func() (bool, error) {
		if n := emu.Emulator.CallCount("ModifyNetworkInterfaceAttribute", "OK"); n < routeNodes {
			return false, fmt.Errorf("%d ModifyNetworkInterfaceAttribute calls", n)
		}
		return true, nil
	})
	framework.WaitFor(t, routeTimeout, "NetworkUnavailable=False on the nodes", func() (bool, error) {
		n, err := cp.Client.CoreV1().Nodes().Get(framework.Ctx(t), w.nodeName(0), metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeNetworkUnavailable && c.Status == corev1.ConditionFalse {
				return true, nil
			} else if c.Type == corev1.NodeNetworkUnavailable {
				return false, fmt.Errorf("condition %+v", c)
			}
		}
		return false, fmt.Errorf("no NetworkUnavailable condition")
	})

	// A deleted node's route goes at the next reconcile.
	deleteNode(t, cp.Client, w.nodeName(0))
	framework.WaitFor(t, routeTimeout, "the deleted node's route to go", func() (bool, error) {
		_, ok := tableEntries(emu)[routePodCIDR(0)]
		return !ok, nil
	})

	// Restart: a node deleted while no CCM runs leaves an orphan the new
	// process must find from the route table alone.
	if err := ccm.Stop(10 * time.Second); err != nil {
		t.Logf("stopping the CCM: %v", err)
	}
	deleteNode(t, cp.Client, w.nodeName(1))
	emu.Emulator.ResetAudit()
	ccm2 := framework.StartCCM(t, cp, routeArgs(cloudConfig)...)
	ccm2.WaitHealthy(t, startTimeout)
	framework.WaitFor(t, routeTimeout, "the restarted CCM to remove the orphaned route", func() (bool, error) {
		_, ok := tableEntries(emu)[routePodCIDR(1)]
		return !ok, nil
	})
	// Let a few reconciles pass: nothing else may change, and each reads
	// the nodes' ENI checks with one DescribeNetworkInterfaces (up to 100
	// nodes) next to its one DescribeRouteEntryList.
	enisBefore, listsBefore := emu.Emulator.CallCount("DescribeNetworkInterfaces", ""), emu.Emulator.CallCount("DescribeRouteEntryList", "")
	time.Sleep(5 * time.Second)
	enis := emu.Emulator.CallCount("DescribeNetworkInterfaces", "") - enisBefore
	lists := emu.Emulator.CallCount("DescribeRouteEntryList", "") - listsBefore
	t.Logf("steady state, %d nodes: %d DescribeNetworkInterfaces and %d DescribeRouteEntryList calls in 5 s (2 s period)", routeNodes-2, enis, lists)
	if lists == 0 || enis > lists {
		t.Errorf("%d DescribeNetworkInterfaces calls for %d route reconciles, want at most one per reconcile", enis, lists)
	}
	got := tableEntries(emu)
	for i := 2; i < routeNodes; i++ {
		if _, ok := got[routePodCIDR(i)]; !ok {
			t.Errorf("route %s of a live node was removed", routePodCIDR(i))
		}
	}
	if n := emu.Emulator.CallCount("ModifyNetworkInterfaceAttribute", "OK"); n != 0 {
		t.Errorf("the restarted CCM made %d ModifyNetworkInterfaceAttribute calls, want 0 (no route was created)", n)
	}
	if n := emu.Emulator.CallCount("CreateRouteEntries", "OK"); n != 0 {
		t.Errorf("the restarted CCM made %d CreateRouteEntries calls, want 0 (all routes existed)", n)
	}
	checkNoConflicts(t, emu)
	checkForeignRoutes(t, emu)
}

// checkNoConflicts fails on any route write the VPC refused as concurrent.
func checkNoConflicts(t *testing.T, emu *framework.Emulator) {
	t.Helper()
	var bad []string
	for _, a := range emu.Emulator.Audit() {
		if a.Code == "TaskConflict" || a.Code == "IncorrectRouteEntryStatus" {
			bad = append(bad, a.Action+" "+a.Code)
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d self-inflicted conflicts: %s", len(bad), strings.Join(bad, ", "))
	}
}

// checkForeignRoutes fails if a route the CCM does not own changed.
func checkForeignRoutes(t *testing.T, emu *framework.Emulator) {
	t.Helper()
	got := tableEntries(emu)
	for _, f := range foreignRoutes {
		e, ok := got[f.DestinationCidrBlock]
		if !ok || e.NextHopType != f.NextHopType {
			t.Errorf("foreign route %s (%s) changed: %+v (present %v)", f.DestinationCidrBlock, f.NextHopType, e, ok)
		}
	}
}

// TestRoutesForeignStay: inside --cluster-cidr, next hop a node's instance,
// but not written by this cluster: a route without this cluster's marker
// stays, whatever its CIDR, and so does another cluster's; an unmarked route
// that is exactly a node's pod CIDR and instance (the official CCM writes
// routes without a description) is adopted as that node's route; only a
// route with this cluster's marker that no node wants is deleted.
func TestRoutesForeignStay(t *testing.T) {
	t.Parallel()
	cp := framework.Dedicated(t)
	grantNodeReader(t, cp.Client)
	const n = 6
	w := newRouteWorld(t, n)
	emu := w.emu
	const other = "Pod CIDR route of node x, managed by alicloud-ccm (cluster other-cluster)"
	// legacy: written under the old default cluster ID, which every cluster
	// without Global.clusterID used, so it proves nothing about who wrote it.
	const legacy = "Pod CIDR route of node y, managed by alicloud-ccm (cluster clusterid)"
	ours := "Pod CIDR route of node old, " + clusterMarker(t, cp)
	foreign := []emulator.SeedRouteEntry{
		{DestinationCidrBlock: "172.16.240.0/24", NextHopID: w.instances[0]},                               // unmarked, not node 0's pod CIDR
		{DestinationCidrBlock: "172.16.241.0/24", NextHopID: w.instances[1], Description: other},           // another cluster's
		{DestinationCidrBlock: routePodCIDR(2), NextHopID: w.instances[2]},                                 // the official CCM's: adopted
		{DestinationCidrBlock: routePodCIDR(3), NextHopID: w.instances[3], Description: other},             // another cluster's, same as ours would be
		{DestinationCidrBlock: "172.16.243.0/24", NextHopID: w.instances[5], Description: "added by hand"}, // unmarked
		{DestinationCidrBlock: "172.16.244.0/24", NextHopID: w.instances[5], Description: legacy},          // old default: another cluster's?
	}
	stale := emulator.SeedRouteEntry{DestinationCidrBlock: "172.16.242.0/24", NextHopID: w.instances[4], Description: ours}
	seed := emulator.SeedState{RouteEntries: append(append([]emulator.SeedRouteEntry{}, foreign...), stale)}
	for i := range seed.RouteEntries {
		seed.RouteEntries[i].RouteTableID = emu.RouteTableID
	}
	if err := emu.Emulator.Seed(seed); err != nil {
		t.Fatal(err)
	}
	for i, id := range w.instances {
		createRouteNode(t, cp.Client, w.nodeName(i), emu.Region+"."+id, nil, routePodCIDR(i))
	}
	emu.Emulator.ResetAudit()
	cloudConfig := framework.WriteCloudConfig(t, emu.CloudConfig())
	ccm := framework.StartCCM(t, cp, routeArgs(cloudConfig)...)
	ccm.WaitHealthy(t, startTimeout)

	framework.WaitFor(t, routeTimeout, "every node's route Available and this cluster's stale route gone", func() (bool, error) {
		got := tableEntries(emu)
		for i, id := range w.instances {
			if e, ok := got[routePodCIDR(i)]; !ok || e.NextHopID != id || e.Status != "Available" {
				return false, fmt.Errorf("route %s: %+v (present %v)", routePodCIDR(i), e, ok)
			}
		}
		if _, ok := got[stale.DestinationCidrBlock]; ok {
			return false, fmt.Errorf("stale route %s of this cluster still present", stale.DestinationCidrBlock)
		}
		return true, nil
	})
	waitNetworkAvailable(t, cp.Client, w, n)
	// A few more reconciles (2 s period): nothing foreign may go.
	time.Sleep(6 * time.Second)
	got := tableEntries(emu)
	for _, f := range foreign {
		e, ok := got[f.DestinationCidrBlock]
		if !ok || e.NextHopID != f.NextHopID {
			t.Errorf("route %s -> %s (%q) was not left alone: %+v (present %v)", f.DestinationCidrBlock, f.NextHopID, f.Description, e, ok)
		}
	}
	if d := emu.Emulator.CallCount("DeleteRouteEntries", "OK"); d != 1 {
		t.Errorf("DeleteRouteEntries calls = %d, want 1 (the stale route of this cluster)", d)
	}
	checkNoConflicts(t, emu)
}

// waitNetworkAvailable waits for NetworkUnavailable=False on the first n nodes.
func waitNetworkAvailable(t *testing.T, cs kubernetes.Interface, w *routeWorld, n int) {
	t.Helper()
	framework.WaitFor(t, routeTimeout, "NetworkUnavailable=False on the nodes", func() (bool, error) {
		for i := range n {
			node, err := cs.CoreV1().Nodes().Get(framework.Ctx(t), w.nodeName(i), metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if c := networkCondition(node); c == nil || c.Status != corev1.ConditionFalse {
				return false, fmt.Errorf("node %s: NetworkUnavailable %+v", node.Name, c)
			}
		}
		return true, nil
	})
}

func networkCondition(n *corev1.Node) *corev1.NodeCondition {
	for i, c := range n.Status.Conditions {
		if c.Type == corev1.NodeNetworkUnavailable {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// TestRoutesSourceDestCheckConverges: the ENI's source/destination check is
// state read from the cloud, not a memory. A CCM that dies after writing
// the routes but before turning the checks off (here: every
// ModifyNetworkInterfaceAttribute refused, then SIGKILL once the routes are
// Available) leaves the checks on; the next leader must find and fix them
// although every route exists. A check turned back on by hand later is
// turned off again within a reconcile or two.
func TestRoutesSourceDestCheckConverges(t *testing.T) {
	t.Parallel()
	cp := framework.Dedicated(t)
	grantNodeReader(t, cp.Client)
	const n = 3
	w := newRouteWorld(t, n)
	emu := w.emu
	for i, id := range w.instances {
		createRouteNode(t, cp.Client, w.nodeName(i), emu.Region+"."+id, nil, routePodCIDR(i))
	}
	emu.Emulator.SetFaults(routeFaults(emulator.ErrorRule{Match: "Ecs.ModifyNetworkInterfaceAttribute", Code: "Forbidden.RAM", HTTPStatus: 403}))
	cloudConfig := framework.WriteCloudConfig(t, emu.CloudConfig())
	ccm := framework.StartCCM(t, cp, routeArgs(cloudConfig)...)
	ccm.WaitHealthy(t, startTimeout)
	framework.WaitFor(t, routeTimeout, "the routes Available and the ENI writes attempted", func() (bool, error) {
		got := tableEntries(emu)
		for i := range w.instances {
			if e, ok := got[routePodCIDR(i)]; !ok || e.Status != "Available" {
				return false, fmt.Errorf("route %s: %+v (present %v)", routePodCIDR(i), e, ok)
			}
		}
		if f := emu.Emulator.CallCount("ModifyNetworkInterfaceAttribute", "Forbidden.RAM"); f < n {
			return false, fmt.Errorf("%d refused ModifyNetworkInterfaceAttribute calls", f)
		}
		return true, nil
	})
	ccm.Kill()
	if on := w.checksOn(); len(on) != n {
		t.Fatalf("checks on after the crash: %v, want all %d nodes", on, n)
	}

	// The next leader (its own lease: no wait for the dead one's to expire).
	emu.Emulator.SetFaults(routeFaults())
	emu.Emulator.ResetAudit()
	ccm2 := framework.StartCCM(t, cp, routeArgs(cloudConfig)...)
	ccm2.WaitHealthy(t, startTimeout)
	start := time.Now()
	framework.WaitFor(t, 30*time.Second, "the restarted CCM to turn the checks off", func() (bool, error) {
		if on := w.checksOn(); len(on) > 0 {
			return false, fmt.Errorf("checks still on for %v", on)
		}
		return true, nil
	})
	t.Logf("checks off %s after the restarted CCM was healthy", time.Since(start).Round(time.Millisecond))
	waitNetworkAvailable(t, cp.Client, w, n)
	if c := emu.Emulator.CallCount("CreateRouteEntries", ""); c != 0 {
		t.Errorf("the restarted CCM made %d CreateRouteEntries calls, want 0 (every route existed)", c)
	}

	// Quiet reconciles: one DescribeNetworkInterfaces per reconcile for up
	// to 100 nodes (one DescribeRouteEntryList per reconcile and table).
	emu.Emulator.ResetAudit()
	time.Sleep(7 * time.Second)
	enis, lists := emu.Emulator.CallCount("DescribeNetworkInterfaces", ""), emu.Emulator.CallCount("DescribeRouteEntryList", "")
	t.Logf("steady state, %d nodes: %d DescribeNetworkInterfaces and %d DescribeRouteEntryList calls in 7 s (2 s period)", n, enis, lists)
	if lists == 0 || enis > lists {
		t.Errorf("%d DescribeNetworkInterfaces calls for %d route reconciles (DescribeRouteEntryList), want at most one per reconcile", enis, lists)
	}
	if m := emu.Emulator.CallCount("ModifyNetworkInterfaceAttribute", ""); m != 0 {
		t.Errorf("%d ModifyNetworkInterfaceAttribute calls with every check off, want 0", m)
	}

	// Someone turns a check back on.
	if err := emu.Emulator.SetSourceDestCheck(w.primaryENIs()[1].NetworkInterfaceID, true); err != nil {
		t.Fatal(err)
	}
	framework.WaitFor(t, 30*time.Second, "the check turned back on to go off again", func() (bool, error) {
		if on := w.checksOn(); len(on) > 0 {
			return false, fmt.Errorf("checks still on for %v", on)
		}
		return true, nil
	})
}

// clusterMarker is the owner marker in the descriptions of the routes the
// cluster's CCM writes when the cloud-config sets no clusterID: the
// kube-system namespace's UID names the cluster.
func clusterMarker(t *testing.T, cp *framework.ControlPlane) string {
	t.Helper()
	ns, err := cp.Client.CoreV1().Namespaces().Get(context.Background(), "kube-system", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading the kube-system namespace: %v", err)
	}
	return "managed by alicloud-ccm (cluster " + string(ns.UID) + ")"
}
