package e2e

import (
	"context"
	"fmt"
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

// Quotas of the quota world: low, so eight nodes and a few ports hit them.
// The cloud-config states the same values, as a user who had them raised
// (or lowered) in Quota Center would.
const (
	quotaBackends  = 5 // slb_quota_backendservers_num
	quotaListeners = 3 // slb_quota_listeners_num
	quotaGroups    = 3 // slb_quota_backendserver_attached_num
	quotaNodes     = 8
)

// TestLBQuotas runs the CCM against an emulator whose CLB quotas are low,
// its subtests in sequence on one CCM:
//
//   - Cluster policy with more nodes than the backends-per-CLB quota gets a
//     zone-balanced subset of the nodes and a Normal Event, not a CLB
//     without listeners; a port added later gets its listener with the
//     backends that still fit;
//   - a Service with more ports than the listener quota gets a Warning
//     naming the quota and causes no write at all;
//   - a Service whose groups would push nodes over the vServer groups per
//     instance quota gets a Warning naming it and causes no write at all;
//   - a Service with a CLB that gets one port too many keeps getting its
//     other changes; the port that does not fit is named in a Warning.
func TestLBQuotas(t *testing.T) {
	w := newLBWorldWith(t, lbWorldOptions{
		extraNodes: quotaNodes - 3,
		limits:     emulator.Limits{BackendsPerLB: quotaBackends, ListenersPerLB: quotaListeners, GroupsPerServer: quotaGroups},
		global: map[string]any{
			"quotaBackendServersPerCLB":     quotaBackends,
			"quotaListenersPerCLB":          quotaListeners,
			"quotaVServerGroupsPerInstance": quotaGroups,
		},
	})
	t.Run("backend subset", func(t *testing.T) { testQuotaBackendSubset(t, w) })
	t.Run("listener quota writes nothing", func(t *testing.T) { testQuotaListeners(t, w) })
	t.Run("group quota writes nothing", func(t *testing.T) { testQuotaGroups(t, w) })
	t.Run("existing Service over the listener quota keeps other changes", func(t *testing.T) { testQuotaListenersExisting(t, w) })
}

// ports returns n TCP ports 80, 81, ...
func ports(n int) []corev1.ServicePort {
	var out []corev1.ServicePort
	for i := range n {
		p := int32(80 + i)
		out = append(out, corev1.ServicePort{Name: fmt.Sprintf("p%d", p), Port: p, TargetPort: intstr.FromInt32(p), Protocol: corev1.ProtocolTCP})
	}
	return out
}

// zoneOf maps instance IDs to their zones.
func (w *lbWorld) zoneOf() map[string]string {
	out := map[string]string{}
	for _, in := range w.emu.Instances {
		out[in.InstanceID] = in.ZoneID
	}
	return out
}

func testQuotaBackendSubset(t *testing.T, w *lbWorld) {
	svc := framework.CreateLoadBalancerService(t, w.cs, "default", "subset", framework.ServiceOptions{})
	svc = w.waitIngress(t, "default", svc.Name)
	zones := w.zoneOf()
	var first []string
	w.waitState(t, "one listener, its group a zone-balanced subset of the nodes", func(s *clbState) error {
		i := s.lbIndex("", svc)
		if i < 0 {
			return fmt.Errorf("no CLB")
		}
		if err := s.wantListener(i, 80, "tcp", map[string]string{"Status": "running"}); err != nil {
			return err
		}
		if n := len(s.LBs[i].Groups); n != 1 {
			return fmt.Errorf("%d groups, want 1", n)
		}
		ms := s.LBs[i].Groups[0].Backends
		perZone := map[string]int{}
		first = nil
		for _, m := range ms {
			perZone[zones[m.ServerID]]++
			first = append(first, m.ServerID)
		}
		if len(ms) != quotaBackends || len(perZone) != 2 {
			return fmt.Errorf("%d members in %d zones (%v), want %d in 2 zones", len(ms), len(perZone), perZone, quotaBackends)
		}
		for _, n := range perZone {
			if n < quotaBackends/2 {
				return fmt.Errorf("members per zone %v, want them balanced", perZone)
			}
		}
		return nil
	})
	ev := w.waitEvent(t, "default", svc.Name, "SelectedBackendSubset")
	if !strings.Contains(ev.Message, "slb_quota_backendservers_num") || ev.Type != corev1.EventTypeNormal {
		t.Errorf("subset event %s %q does not name the quota", ev.Type, ev.Message)
	}

	// A port added later gets its listener; the two groups share the quota.
	w.updateService(t, "default", svc.Name, func(s *corev1.Service) { s.Spec.Ports = append(s.Spec.Ports, ports(2)[1]) })
	w.waitState(t, "a listener for the new port, the quota shared by both groups", func(s *clbState) error {
		i := s.lbIndex("", svc)
		if i < 0 {
			return fmt.Errorf("no CLB")
		}
		for _, p := range []int{80, 81} {
			if err := s.wantListener(i, p, "tcp", map[string]string{"Status": "running"}); err != nil {
				return err
			}
		}
		total := 0
		for _, g := range s.LBs[i].Groups {
			if len(g.Backends) == 0 {
				return fmt.Errorf("group %s has no members", g.Name)
			}
			total += len(g.Backends)
		}
		if len(s.LBs[i].Groups) != 2 || total != quotaBackends {
			return fmt.Errorf("%d groups with %d members, want 2 with %d", len(s.LBs[i].Groups), total, quotaBackends)
		}
		return nil
	})
	sort.Strings(first)
	t.Logf("subset of %d nodes: %v", quotaNodes, first)
	w.deleteAndWait(t, "default", svc.Name)
}

// waitNoWrites waits for the Warning naming quota, then for the service
// controller's retry (5 s), and checks the audit log has no write.
func (w *lbWorld) waitNoWrites(t *testing.T, name, quota string) {
	t.Helper()
	ev := w.waitEvent(t, "default", name, "LoadBalancerQuotaExceeded")
	if !strings.Contains(ev.Message, quota) || ev.Type != corev1.EventTypeWarning {
		t.Errorf("event %s %q does not name quota %s", ev.Type, ev.Message, quota)
	}
	time.Sleep(6 * time.Second)
	if wr := w.writes(); len(wr) != 0 {
		t.Errorf("write calls for a Service that cannot fit: %v", wr)
	}
	if svc := w.getService(t, "default", name); len(svc.Status.LoadBalancer.Ingress) != 0 {
		t.Errorf("status %v for a Service without a CLB", svc.Status.LoadBalancer.Ingress)
	}
}

func testQuotaListeners(t *testing.T, w *lbWorld) {
	before := w.lbCount(t)
	w.emu.Emulator.ResetAudit()
	framework.CreateLoadBalancerService(t, w.cs, "default", "many-ports", framework.ServiceOptions{Ports: ports(quotaListeners + 1)})
	w.waitNoWrites(t, "many-ports", "slb_quota_listeners_num")
	if n := w.lbCount(t); n != before {
		t.Errorf("%d CLBs, want %d", n, before)
	}
	w.deleteAndWait(t, "default", "many-ports")
}

func testQuotaGroups(t *testing.T, w *lbWorld) {
	// Both Services are pinned to the same two nodes (backend-label), so
	// the first puts each of them in 2 groups and the second would make 4.
	for _, in := range w.emu.Instances[:2] {
		node, err := w.cs.CoreV1().Nodes().Get(context.Background(), in.InstanceName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		node.Labels["quota-test"] = "pinned"
		if _, err := w.cs.CoreV1().Nodes().Update(context.Background(), node, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pinned := map[string]string{annoPrefix + "backend-label": "quota-test=pinned"}
	a := framework.CreateLoadBalancerService(t, w.cs, "default", "groups-a", framework.ServiceOptions{Ports: ports(2), Annotations: pinned})
	a = w.waitIngress(t, "default", a.Name)
	w.waitState(t, "groups-a: two groups of the two pinned nodes", func(s *clbState) error {
		i := s.lbIndex("", a)
		if i < 0 {
			return fmt.Errorf("no CLB")
		}
		for _, g := range s.LBs[i].Groups {
			if len(g.Backends) != 2 {
				return fmt.Errorf("group %s has %d members, want 2", g.Name, len(g.Backends))
			}
		}
		if n := len(s.LBs[i].Listeners); n != 2 {
			return fmt.Errorf("%d listeners, want 2", n)
		}
		return nil
	})
	before := w.lbCount(t)
	w.emu.Emulator.ResetAudit()
	framework.CreateLoadBalancerService(t, w.cs, "default", "groups-b", framework.ServiceOptions{Ports: ports(2), Annotations: pinned})
	w.waitNoWrites(t, "groups-b", "slb_quota_backendserver_attached_num")
	if n := w.lbCount(t); n != before {
		t.Errorf("%d CLBs, want %d", n, before)
	}
	w.deleteAndWait(t, "default", "groups-b")
	w.deleteAndWait(t, "default", a.Name)
}

func testQuotaListenersExisting(t *testing.T, w *lbWorld) {
	svc := framework.CreateLoadBalancerService(t, w.cs, "default", "grow", framework.ServiceOptions{Ports: ports(quotaListeners)})
	svc = w.waitIngress(t, "default", svc.Name)
	w.updateService(t, "default", svc.Name, func(s *corev1.Service) {
		s.Spec.Ports = ports(quotaListeners + 1)
		setAnnotations("scheduler", "rr")(s)
	})
	ev := w.waitEvent(t, "default", svc.Name, "LoadBalancerQuotaExceeded")
	if !strings.Contains(ev.Message, "slb_quota_listeners_num") || !strings.Contains(ev.Message, fmt.Sprintf("%d/tcp", 80+quotaListeners)) {
		t.Errorf("event %q does not name the quota and the port left out", ev.Message)
	}
	w.waitState(t, "the scheduler change applied to the listeners that fit", func(s *clbState) error {
		i := s.lbIndex("", svc)
		if i < 0 {
			return fmt.Errorf("no CLB")
		}
		for p := 80; p < 80+quotaListeners; p++ {
			if err := s.wantListener(i, p, "tcp", map[string]string{"Scheduler": "rr", "Status": "running"}); err != nil {
				return err
			}
		}
		if n := len(s.LBs[i].Listeners); n != quotaListeners {
			return fmt.Errorf("%d listeners, want %d", n, quotaListeners)
		}
		return nil
	})
	w.deleteAndWait(t, "default", svc.Name)
}
