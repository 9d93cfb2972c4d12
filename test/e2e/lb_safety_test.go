package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// TestLBSafety runs the CCM binary on a control plane of its own, its
// subtests in sequence on one CCM and emulator, about deletion that must
// never get stuck and must never leak:
//
//   - a Service whose id annotation names a CLB that was deleted in the
//     console, that never existed, or that may not be reused (the ACK
//     API-server CLB, another cluster's CLB) is deleted promptly, our ACL
//     goes with it and the refused CLB sees no write;
//   - our source-ranges ACL is deleted with its Service when the CLB is
//     already gone: deleted by hand, or the CCM killed right after
//     DeleteLoadBalancer;
//
// and, with the CCM's Global.clusterID set to the longest, most unusual
// value the config validator accepts (128 characters with "/", ":" and
// "@"), a Service with the longest names converges, follows edits (its
// listeners recognised as its own) and is deleted without leftovers.
func TestLBSafety(t *testing.T) {
	w := newLBWorldWith(t, lbWorldOptions{global: map[string]any{"clusterID": oddClusterID}})
	t.Run("reused CLB deleted by hand", func(t *testing.T) { testReusedVanished(t, w) })
	t.Run("id names no CLB", func(t *testing.T) { testReuseMissing(t, w) })
	t.Run("refused CLBs", func(t *testing.T) { testReuseRefusedDelete(t, w) })
	t.Run("own CLB deleted by hand", func(t *testing.T) { testOwnVanished(t, w) })
	t.Run("crash after DeleteLoadBalancer", func(t *testing.T) { testCrashAfterDelete(t, w) })
	t.Run("cluster ID with / and 128 characters", func(t *testing.T) { testOddClusterID(t, w) })
}

// oddClusterID is 128 characters (the validator's maximum) with every
// punctuation mark it allows.
var oddClusterID = func() string {
	id := "acme.example/prod:cn-hangzhou@dr_site-"
	return id + strings.Repeat("x", 128-len(id))
}()

// deleteTimeout bounds a Service deletion: the service controller's first
// retries come after 5 s and 10 s, so a delete that needs a retry still
// finishes well within it, and a stuck one fails the test.
const deleteTimeout = 30 * time.Second

// createService creates a LoadBalancer Service with annotations (by
// suffix) and source ranges, one TCP port.
func (w *lbWorld) createService(t *testing.T, name string, ranges []string, kv ...string) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Type:                     corev1.ServiceTypeLoadBalancer,
			Ports:                    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}},
			Selector:                 map[string]string{"app": name},
			LoadBalancerSourceRanges: ranges,
		},
	}
	setAnnotations(kv...)(svc)
	created, err := w.cs.CoreV1().Services("default").Create(framework.Ctx(t), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating Service %s: %v", name, err)
	}
	return created
}

// ourACLs lists the ACLs in the emulator whose tags name the Service.
func (w *lbWorld) ourACLs(t testing.TB, svc *corev1.Service) []string {
	t.Helper()
	raw, err := json.Marshal(w.emu.Emulator.Dump().SLB)
	if err != nil {
		t.Fatal(err)
	}
	var dump struct {
		ACLs []struct {
			ID   string `json:"aclId"`
			Tags []struct {
				Key   string `json:"tagKey"`
				Value string `json:"tagValue"`
			} `json:"tags"`
		} `json:"accessControlLists"`
	}
	if err := json.Unmarshal(raw, &dump); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range dump.ACLs {
		for _, tag := range a.Tags {
			if tag.Key == tagServiceUID && tag.Value == string(svc.UID) {
				ids = append(ids, a.ID)
			}
		}
	}
	return ids
}

// waitACL waits until the Service has exactly n ACLs of ours.
func (w *lbWorld) waitACL(t *testing.T, svc *corev1.Service, n int) {
	t.Helper()
	framework.WaitFor(t, lbTimeout, fmt.Sprintf("%d source-ranges ACL(s) of %s", n, svc.Name), func() (bool, error) {
		if ids := w.ourACLs(t, svc); len(ids) != n {
			return false, fmt.Errorf("ACLs %v", ids)
		}
		return true, nil
	})
}

// deleteWithin deletes the Service and fails the test if it is not gone
// within deleteTimeout (still Terminating: stuck on its finalizer).
func (w *lbWorld) deleteWithin(t *testing.T, name string) {
	t.Helper()
	start := time.Now()
	if err := w.cs.CoreV1().Services("default").Delete(framework.Ctx(t), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.WaitFor(t, deleteTimeout, "Service "+name+" gone (not stuck Terminating)", func() (bool, error) {
		_, err := w.cs.CoreV1().Services("default").Get(context.Background(), name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	t.Logf("Service %s deleted in %s", name, time.Since(start).Round(10*time.Millisecond))
}

// deleteCLBByHand deletes a CLB as a user would in the console: delete
// protection off first.
func (w *lbWorld) deleteCLBByHand(t *testing.T, id string) {
	t.Helper()
	prot := slb.CreateSetLoadBalancerDeleteProtectionRequest()
	prot.LoadBalancerId, prot.DeleteProtection = id, "off"
	if _, err := w.api.SetLoadBalancerDeleteProtection(framework.Ctx(t), prot); err != nil {
		t.Fatalf("turning delete protection of %s off: %v", id, err)
	}
	req := slb.CreateDeleteLoadBalancerRequest()
	req.LoadBalancerId = id
	if _, err := w.api.DeleteLoadBalancer(framework.Ctx(t), req); err != nil {
		t.Fatalf("deleting CLB %s by hand: %v", id, err)
	}
}

func testReusedVanished(t *testing.T, w *lbWorld) {
	lbID, err := w.emu.Emulator.SeedLoadBalancer(emulator.SeedLB{Name: "users-vanishing-clb"})
	if err != nil {
		t.Fatal(err)
	}
	svc := w.createService(t, "vanished", []string{"10.0.0.0/8"}, "id", lbID, "force-override-listeners", "true")
	w.waitIngress(t, "default", svc.Name)
	w.waitACL(t, svc, 1)
	w.deleteCLBByHand(t, lbID)
	w.deleteWithin(t, svc.Name)
	w.waitACL(t, svc, 0)
}

func testReuseMissing(t *testing.T, w *lbWorld) {
	svc := w.createService(t, "missing", nil, "id", "lb-bp1doesnotexist00000")
	w.waitEvent(t, "default", svc.Name, "LoadBalancerReuseRefused")
	w.deleteWithin(t, svc.Name)
}

func testReuseRefusedDelete(t *testing.T, w *lbWorld) {
	for _, c := range []struct{ name, key, value string }{
		{"apiserver", "ack.aliyun.com", "c0ffee0123456789"},
		{"other-cluster", tagServiceUID, "5b0c5e5e-0000-4000-8000-000000000001"},
		{"official-ccm", "kubernetes.do.not.delete", "a0123456789abcdef0123456789abcde"},
	} {
		t.Run(c.name, func(t *testing.T) {
			lbID, err := w.emu.Emulator.SeedLoadBalancer(emulator.SeedLB{Name: "refused-" + c.name,
				Tags:          []emulator.Tag{{Key: c.key, Value: c.value}},
				VServerGroups: []emulator.SeedVServerGroup{{Name: "theirs"}},
				Listeners:     []emulator.SeedListener{{Protocol: "tcp", Port: 6443, VServerGroup: "theirs"}}})
			if err != nil {
				t.Fatal(err)
			}
			svc := w.createService(t, "refused-"+c.name, nil, "id", lbID)
			w.waitEvent(t, "default", svc.Name, "LoadBalancerReuseRefused")
			w.emu.Emulator.ResetAudit()
			w.deleteWithin(t, svc.Name)
			if wr := w.writes(); len(wr) != 0 {
				t.Errorf("write calls while deleting a Service whose CLB %s is refused: %v", lbID, wr)
			}
			s := w.state(t)
			if i := s.lbIndex(lbID, nil); i < 0 || len(s.LBs[i].Listeners) != 1 || len(s.LBs[i].Groups) != 1 {
				t.Errorf("refused CLB %s changed: %+v", lbID, s.LBs)
			}
		})
	}
}

func testOwnVanished(t *testing.T, w *lbWorld) {
	svc := w.createService(t, "own-vanished", []string{"192.0.2.0/24"})
	w.waitIngress(t, "default", svc.Name)
	w.waitACL(t, svc, 1)
	s := w.state(t)
	i := s.lbIndex("", svc)
	if i < 0 {
		t.Fatal("no CLB")
	}
	w.deleteCLBByHand(t, s.LBs[i].LB.LoadBalancerId)
	w.deleteWithin(t, svc.Name)
	w.waitACL(t, svc, 0)
}

func testCrashAfterDelete(t *testing.T, w *lbWorld) {
	svc := w.createService(t, "crash-delete", []string{"198.51.100.0/24"})
	w.waitIngress(t, "default", svc.Name)
	w.waitACL(t, svc, 1)
	// Hold the ACL lookup that follows DeleteLoadBalancer so the CCM is
	// killed between the CLB's delete and the ACL's.
	w.emu.Emulator.SetFaults(emulator.FaultProfile{Latency: map[string]emulator.LatencySpec{
		"Slb.DescribeAccessControlLists": {Fixed: emulator.Duration(5 * time.Second)}}})
	w.emu.Emulator.ResetAudit()
	if err := w.cs.CoreV1().Services("default").Delete(framework.Ctx(t), svc.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.WaitFor(t, lbTimeout, "DeleteLoadBalancer in the audit log", func() (bool, error) {
		return w.emu.Emulator.CallCount("DeleteLoadBalancer", "OK") > 0, nil
	})
	w.ccm.Kill()
	w.emu.Emulator.SetFaults(emulator.FaultProfile{})
	if n := len(w.ourACLs(t, svc)); n != 1 {
		t.Fatalf("%d ACLs right after the crash, want 1 (the crash point was missed)", n)
	}
	w.startCCM(t)
	framework.WaitFor(t, deleteTimeout, "Service gone after the restart", func() (bool, error) {
		_, err := w.cs.CoreV1().Services("default").Get(context.Background(), svc.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	w.waitACL(t, svc, 0)
}

func testOddClusterID(t *testing.T, w *lbWorld) {
	// The longest names Kubernetes allows: a 63-character namespace and
	// Service name.
	ns := "ns-" + strings.Repeat("n", 60)
	if _, err := w.cs.CoreV1().Namespaces().Create(framework.Ctx(t), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	name := "svc-" + strings.Repeat("s", 59)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer,
			Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP},
				{Name: "https", Port: 443, TargetPort: intstr.FromInt32(443), Protocol: corev1.ProtocolTCP}},
			Selector:                 map[string]string{"app": "odd"},
			LoadBalancerSourceRanges: []string{"10.0.0.0/8"},
		},
	}
	svc, err := w.cs.CoreV1().Services(ns).Create(framework.Ctx(t), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	converged := func(ports ...int) func(s *clbState) error {
		return func(s *clbState) error {
			i := s.lbIndex("", svc)
			if i < 0 {
				return fmt.Errorf("no CLB")
			}
			if len(s.LBs[i].Listeners) != len(ports) {
				return fmt.Errorf("%d listeners, want %v", len(s.LBs[i].Listeners), ports)
			}
			for _, p := range ports {
				if err := s.wantListener(i, p, "tcp", map[string]string{"Status": "running", "AclStatus": "on"}); err != nil {
					return err
				}
			}
			if len(s.LBs[i].Groups) != 2 {
				return fmt.Errorf("%d vServer groups, want 2", len(s.LBs[i].Groups))
			}
			for _, g := range s.LBs[i].Groups {
				if len(g.Backends) != len(w.emu.Instances) {
					return fmt.Errorf("group %s has %d members, want %d", g.Name, len(g.Backends), len(w.emu.Instances))
				}
			}
			return nil
		}
	}
	w.waitIngress(t, ns, name)
	w.waitState(t, "listeners, groups and members", converged(80, 443))
	w.waitACL(t, svc, 1)

	// An edit: the listener of the old port is recognised as ours and
	// moved, not left behind or reported as a conflict.
	w.updateService(t, ns, name, func(s *corev1.Service) {
		s.Spec.Ports[1].Port = 8443
		s.Spec.LoadBalancerSourceRanges = []string{"172.16.0.0/12"}
	})
	w.waitState(t, "the 443 listener moved to 8443", converged(80, 8443))
	evs, err := w.cs.CoreV1().Events(ns).List(framework.Ctx(t), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs.Items {
		if e.Type == corev1.EventTypeWarning {
			t.Errorf("Warning %s: %s", e.Reason, e.Message)
		}
	}

	before := w.lbCount(t)
	if err := w.cs.CoreV1().Services(ns).Delete(framework.Ctx(t), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.WaitFor(t, deleteTimeout, "Service "+name+" gone", func() (bool, error) {
		_, err := w.cs.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if n := w.lbCount(t); n != before-1 {
		t.Errorf("%d CLBs after the delete, want %d", n, before-1)
	}
	w.waitACL(t, svc, 0)
}
