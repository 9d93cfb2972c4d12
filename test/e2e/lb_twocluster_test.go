package e2e

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// TestLBTwoClusters is the deployment guide's shared-CLB promise: one
// user's CLB in front of two clusters and of an ECS instance outside them,
// both CCMs with the guide's cloud-config (no clusterID) and the same
// manifests (the usual disaster-recovery setup: same Service names,
// namespaces and NodePorts). Service "web" puts its nodes into the user's
// vServer group (id + vgroup-port + weight); Service "api" has a listener
// of its own per cluster on the shared CLB (id + force-override-listeners,
// port 8080 in A, 8081 in B). Through create in A, create in B, node
// changes in A, a weight change in B, delete in A and a restart of both
// CCMs, the other cluster's members, listener and group and the outside
// member never change, and neither CCM ever sends a write naming the
// other's servers, listener or group (each CCM has its own AccessKey, so
// the audit log tells them apart).
func TestLBTwoClusters(t *testing.T) {
	t.Parallel()
	emu := framework.StartEmulator(t)
	outside := addInstance(t, emu, "i-bp1e2eoutside0000000", "outside", "192.168.0.50")
	extraA := addInstance(t, emu, "i-bp1e2enodea30000000", "node-a3", "192.168.1.13")
	lbID, err := emu.Emulator.SeedLoadBalancer(emulator.SeedLB{Name: "users-shared-clb",
		VServerGroups: []emulator.SeedVServerGroup{{Name: "user-web", Backends: []emulator.SeedBackend{{ServerID: outside, Port: 80, Description: "outside"}}}},
		Listeners:     []emulator.SeedListener{{Protocol: "tcp", Port: 80, VServerGroup: "user-web"}}})
	if err != nil {
		t.Fatal(err)
	}
	a := newClusterOn(t, emu, "LTAI5tE2eClusterA000000", "ClusterASecret00000000000000", 0, 1)
	b := newClusterOn(t, emu, "LTAI5tE2eClusterB000000", "ClusterBSecret00000000000000", 2)
	userGroup := ""
	st := a.state(t)
	for _, g := range st.LBs[st.lbIndex(lbID, nil)].Groups {
		if g.Name == "user-web" {
			userGroup = g.ID
		}
	}
	if userGroup == "" {
		t.Fatal("no user-web group")
	}
	ids := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, emu.Instances[i].InstanceID)
		}
		return out
	}
	nodesA, nodesB := ids(0, 1), ids(2)

	create := func(w *lbWorld, apiPort int32, weight string) {
		t.Helper()
		for _, s := range []*corev1.Service{
			sharedService("web", 80, 30080, "id", lbID, "vgroup-port", userGroup+":80", "weight", weight),
			sharedService("api", apiPort, 30081, "id", lbID, "force-override-listeners", "true"),
		} {
			if _, err := w.cs.CoreV1().Services("default").Create(framework.Ctx(t), s, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// view is the shared CLB as the checks see it.
	view := func() *sharedView { return newSharedView(t, a, lbID, userGroup) }
	wantCluster := func(desc string, port int, nodes []string, weight int) func(v *sharedView) error {
		return func(v *sharedView) error {
			if err := v.wantMembers(nodes, 30080, weight); err != nil {
				return fmt.Errorf("%s: user group: %w", desc, err)
			}
			return v.wantListener(port, nodes)
		}
	}
	wait := func(desc string, check func(v *sharedView) error) {
		t.Helper()
		framework.WaitFor(t, lbTimeout, desc, func() (bool, error) {
			err := check(view())
			return err == nil, err
		})
	}

	// Create in A, then in B.
	create(a, 8080, "60")
	wait("A's members and listener", wantCluster("A", 8080, nodesA, 30))
	create(b, 8081, "60")
	wait("B's members and listener", wantCluster("B", 8081, nodesB, 60))
	time.Sleep(settle)
	if err := wantCluster("A", 8080, nodesA, 30)(view()); err != nil {
		t.Errorf("B's Services changed A's: %v", err)
	}
	keep := map[string]string{"A": view().part(nodesA, 8080), "B": view().part(nodesB, 8081), "outside": view().part([]string{outside}, 0)}
	// unchanged checks that a part still reads as kept, after giving both
	// CCMs time for their next reconciles.
	unchanged := func(name string, servers []string, port int) {
		t.Helper()
		time.Sleep(settle)
		if got := view().part(servers, port); got != keep[name] {
			t.Errorf("%s's objects changed:\nbefore %s\nafter  %s", name, keep[name], got)
		}
	}
	unchanged("A", nodesA, 8080)
	unchanged("outside", []string{outside}, 0)

	// Node changes in A: node-a3 joins, node-1 leaves.
	framework.CreateNode(t, a.cs, "node-a3", framework.NodeOptions{ProviderID: emu.Region + "." + extraA, InternalIP: "192.168.1.13"})
	if err := a.cs.CoreV1().Nodes().Delete(framework.Ctx(t), emu.Instances[1].InstanceName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	nodesA = []string{emu.Instances[0].InstanceID, extraA}
	wait("A's members follow its nodes", wantCluster("A", 8080, nodesA, 30))
	unchanged("B", nodesB, 8081)
	unchanged("outside", []string{outside}, 0)

	// Weight change in B.
	b.updateService(t, "default", "web", setAnnotations("weight", "40"))
	wait("B's new weight", wantCluster("B", 8081, nodesB, 40))
	keep["A"] = view().part(nodesA, 8080)
	unchanged("A", nodesA, 8080)
	unchanged("outside", []string{outside}, 0)
	keep["B"] = view().part(nodesB, 8081)

	// Delete in A.
	a.deleteAndWait(t, "default", "web")
	a.deleteAndWait(t, "default", "api")
	wait("A's members, listener and group gone", func(v *sharedView) error {
		if got := v.part(nodesA, 8080); got != "members[] listener[] group[]" {
			return fmt.Errorf("A's objects left: %s", got)
		}
		return nil
	})
	unchanged("B", nodesB, 8081)
	unchanged("outside", []string{outside}, 0)
	if _, ok := view().listeners[80]; !ok {
		t.Error("the user's listener 80 is gone")
	}

	// Restart both CCMs: the new processes reconcile B's Services again.
	a.ccm.Kill()
	b.ccm.Kill()
	before := len(emu.Emulator.Audit())
	a.startCCM(t)
	b.startCCM(t)
	framework.WaitFor(t, lbTimeout, "B's CCM to reconcile its Services after the restart", func() (bool, error) {
		n := 0
		for _, e := range emu.Emulator.Audit()[before:] {
			if e.AccessKeyID == b.keyID && e.Action == "DescribeLoadBalancerListeners" {
				n++
			}
		}
		return n >= 2, nil
	})
	unchanged("B", nodesB, 8081)
	unchanged("outside", []string{outside}, 0)

	// Neither CCM ever wrote anything naming the other's objects.
	for _, w := range []struct {
		who, key string
		foreign  []string
		port     string
	}{
		{"A", a.keyID, append(slices.Clone(nodesB), outside), "8081"},
		{"B", b.keyID, append(ids(0, 1), extraA, outside), "8080"},
	} {
		for _, e := range emu.Emulator.Audit() {
			if e.AccessKeyID != w.key || strings.HasPrefix(e.Action, "Describe") {
				continue
			}
			for k, v := range e.Params {
				if k == "ListenerPort" && v == w.port {
					t.Errorf("CCM %s: %s on the other cluster's listener %s", w.who, e.Action, v)
				}
				for _, f := range w.foreign {
					if strings.Contains(v, f) {
						t.Errorf("CCM %s: %s %s=%s names %s, not its own", w.who, e.Action, k, v, f)
					}
				}
			}
		}
	}
}

// settle is how long the checks give both CCMs for their next reconciles
// (milliseconds each against the emulator) before judging that something
// did not change.
const settle = 1500 * time.Millisecond

// addInstance adds a running ECS instance in the emulator's first vSwitch.
func addInstance(t *testing.T, emu *framework.Emulator, id, name, ip string) string {
	t.Helper()
	vsw := 0
	if strings.HasPrefix(ip, "192.168.1.") {
		vsw = 1
	}
	if err := emu.Emulator.AddInstance(emulator.Instance{InstanceID: id, InstanceName: name, HostName: name,
		ZoneID: emu.Zones[vsw], VpcID: emu.VpcID, VSwitchID: emu.VSwitches[vsw], PrivateIP: ip, Status: "Running"}); err != nil {
		t.Fatal(err)
	}
	return id
}

// newClusterOn starts a cluster (control plane, Nodes for the given
// emulator instances, CCM) on a shared emulator, with its own AccessKey and
// the deployment guide's cloud-config: no clusterID.
func newClusterOn(t *testing.T, emu *framework.Emulator, keyID, keySecret string, instances ...int) *lbWorld {
	t.Helper()
	emu.Emulator.AddAccessKey(keyID, keySecret)
	cfg := emu.CloudConfig()
	cfg["Global"]["accessKeyID"] = base64.StdEncoding.EncodeToString([]byte(keyID))
	cfg["Global"]["accessKeySecret"] = base64.StdEncoding.EncodeToString([]byte(keySecret))
	cp := framework.Dedicated(t)
	w := &lbWorld{cp: cp, cs: cp.Client, emu: emu, cfg: framework.WriteCloudConfig(t, cfg), root: t, keyID: keyID}
	for _, i := range instances {
		framework.CreateNode(t, w.cs, emu.Instances[i].InstanceName, framework.NodeOptions{ProviderID: emu.ProviderID(i), InternalIP: emu.Instances[i].PrivateIP})
	}
	w.startCCM(t)
	return w
}

// sharedService is the same manifest in both clusters: fixed NodePort.
func sharedService(name string, port, nodePort int32, kv ...string) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Ports:    []corev1.ServicePort{{Name: "tcp", Port: port, NodePort: nodePort, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}},
			Selector: map[string]string{"app": name},
		},
	}
	setAnnotations(kv...)(svc)
	return svc
}

// sharedView is the shared CLB: the user group's members and every
// listener with its group's members.
type sharedView struct {
	members   []member
	listeners map[int]string   // port -> description
	groups    map[int][]member // listener port -> its group's members
	groupName map[int]string
}

func newSharedView(t *testing.T, w *lbWorld, lbID, userGroup string) *sharedView {
	s := w.state(t)
	i := s.lbIndex(lbID, nil)
	if i < 0 {
		t.Fatalf("shared CLB %s is gone", lbID)
	}
	v := &sharedView{listeners: map[int]string{}, groups: map[int][]member{}, groupName: map[int]string{}}
	byID := map[string]int{}
	for gi, g := range s.LBs[i].Groups {
		byID[g.ID] = gi
		if g.ID == userGroup {
			v.members = g.Backends
		}
	}
	for _, l := range s.LBs[i].Listeners {
		v.listeners[l.ListenerPort] = l.Description
		if gi, ok := byID[l.VServerGroupId]; ok {
			v.groups[l.ListenerPort] = s.LBs[i].Groups[gi].Backends
			v.groupName[l.ListenerPort] = s.LBs[i].Groups[gi].Name
		}
	}
	return v
}

// wantMembers checks the user group holds exactly nodes at port with the
// weight (other members are not looked at).
func (v *sharedView) wantMembers(nodes []string, port, weight int) error {
	var got, want []string
	for _, m := range v.members {
		if slices.Contains(nodes, m.ServerID) {
			got = append(got, fmt.Sprintf("%s:%d=%d", m.ServerID, m.Port, m.Weight))
		}
	}
	for _, n := range nodes {
		want = append(want, fmt.Sprintf("%s:%d=%d", n, port, weight))
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("members %v, want %v", got, want)
	}
	return nil
}

// wantListener checks the cluster's listener exists, running on a group
// of exactly its nodes.
func (v *sharedView) wantListener(port int, nodes []string) error {
	if _, ok := v.listeners[port]; !ok {
		return fmt.Errorf("no listener %d", port)
	}
	var got []string
	for _, m := range v.groups[port] {
		got = append(got, m.ServerID)
	}
	sort.Strings(got)
	want := slices.Sorted(slices.Values(nodes))
	if !slices.Equal(got, want) {
		return fmt.Errorf("listener %d's group has %v, want %v", port, got, want)
	}
	return nil
}

// part renders what belongs to servers (their members of the user group,
// with weight and description) and to the listener port (its description,
// group name and members); port 0 is no listener.
func (v *sharedView) part(servers []string, port int) string {
	var ms []string
	for _, m := range v.members {
		if slices.Contains(servers, m.ServerID) {
			ms = append(ms, fmt.Sprintf("%s:%d=%d(%s)", m.ServerID, m.Port, m.Weight, m.Description))
		}
	}
	sort.Strings(ms)
	var l, g []string
	if d, ok := v.listeners[port]; ok && port != 0 {
		l = append(l, d)
		g = append(g, v.groupName[port])
		for _, m := range v.groups[port] {
			g = append(g, m.String())
		}
		sort.Strings(g[1:])
	}
	return fmt.Sprintf("members%v listener%v group%v", ms, l, g)
}
