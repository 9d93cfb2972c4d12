package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// TestLBServices runs the CCM binary on a control plane of its own, its
// subtests in sequence on one CCM and emulator:
//
//   - every examples/services file is created, reaches the CLB it asks for
//     (listeners, attributes, members, ACL, status), gets one annotation
//     of its group edited and converges again, and is deleted (CLB gone
//     even when delete-protected, reused CLB kept with the foreign
//     listener and group untouched, preserved CLB handed over); reuse
//     without force-override-listeners creates no listener;
//   - every testdata/official-style file (a Service written for the
//     official CCM) converges to the CLB the official CCM gives it, with a
//     Warning for each value that is probably not what was meant, and
//     converges again after an edit.
func TestLBServices(t *testing.T) {
	w := newLBWorld(t)
	w.seedExamples(t)
	t.Run("examples", func(t *testing.T) { testLBExamples(t, w) })
	t.Run("official-style Services migrate", func(t *testing.T) { testLBOfficialStyle(t, w) })
}

// TestLBServiceChanges runs, in a world of its own (so it runs alongside
// TestLBServices), in sequence on one CCM and emulator:
//
//   - an invalid annotation gets an Event and no write call;
//   - a CCM killed right after CreateLoadBalancer leaves exactly one CLB;
//   - a type change away from LoadBalancer deletes the protected CLB;
//   - a port change moves the listener; source ranges follow edits and
//     their removal unbinds and deletes our ACL;
//   - preserve-lb-on-delete: "false" keeps the CLB, as in the official CCM.
func TestLBServiceChanges(t *testing.T) {
	w := newLBWorld(t)
	t.Run("invalid annotation writes nothing", func(t *testing.T) { testLBInvalid(t, w) })
	t.Run("crash after create leaves one CLB", func(t *testing.T) { testLBCrash(t, w) })
	t.Run("type change deletes the CLB", func(t *testing.T) { testLBTypeChange(t, w) })
	t.Run("port change moves the listener", func(t *testing.T) { testLBPortChange(t, w) })
	t.Run("source ranges follow edits", func(t *testing.T) { testLBSourceRanges(t, w) })
	t.Run("preserve-lb-on-delete false keeps the CLB", func(t *testing.T) { testLBPreserveFalse(t, w) })
}

func testLBInvalid(t *testing.T, w *lbWorld) {
	w.emu.Emulator.ResetAudit()
	framework.CreateLoadBalancerService(t, w.cs, "default", "invalid", framework.ServiceOptions{Annotations: map[string]string{
		annoPrefix + "address-type": "sideways"}})
	ev := w.waitEvent(t, "default", "invalid", "InvalidLoadBalancerAnnotation")
	if !strings.Contains(ev.Message, "address-type") || !strings.Contains(ev.Message, "sideways") {
		t.Errorf("event %q does not name key and value", ev.Message)
	}
	// The service controller retries after 5 s; the retry parses again and
	// must not write either.
	time.Sleep(6 * time.Second)
	if wr := w.writes(); len(wr) != 0 {
		t.Errorf("write calls for an invalid Service: %v", wr)
	}
	w.deleteAndWait(t, "default", "invalid")
}

func testLBCrash(t *testing.T, w *lbWorld) {
	// Slow the step after the create so the CCM is mid-reconcile when it
	// is killed right after CreateLoadBalancer shows in the audit log.
	w.emu.Emulator.SetFaults(emulator.FaultProfile{Latency: map[string]emulator.LatencySpec{"Slb.DescribeVServerGroups": {Fixed: emulator.Duration(3 * time.Second)}}})
	before := w.lbCount(t)
	w.emu.Emulator.ResetAudit()
	framework.CreateLoadBalancerService(t, w.cs, "default", "crash", framework.ServiceOptions{})
	framework.WaitFor(t, lbTimeout, "CreateLoadBalancer in the audit log", func() (bool, error) {
		return w.emu.Emulator.CallCount("CreateLoadBalancer", "OK") > 0, nil
	})
	w.ccm.Kill()
	w.emu.Emulator.SetFaults(emulator.FaultProfile{})
	w.startCCM(t)
	w.waitIngress(t, "default", "crash")
	if n := w.lbCount(t) - before; n != 1 {
		t.Fatalf("%d CLBs for the Service after a crash and restart, want 1", n)
	}
	w.deleteAndWait(t, "default", "crash")
}

func testLBTypeChange(t *testing.T, w *lbWorld) {
	before := w.lbCount(t)
	framework.CreateLoadBalancerService(t, w.cs, "default", "retype", framework.ServiceOptions{})
	w.waitIngress(t, "default", "retype")
	if w.lbCount(t) != before+1 {
		t.Fatal("no CLB")
	}
	w.emu.Emulator.ResetAudit()
	w.updateService(t, "default", "retype", func(svc *corev1.Service) {
		svc.Spec.Type = corev1.ServiceTypeClusterIP
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].NodePort = 0
		}
	})
	framework.WaitFor(t, lbTimeout, "CLB deleted after the type change", func() (bool, error) { return w.lbCount(t) == before, nil })
	if n := w.emu.Emulator.CallCount("SetLoadBalancerDeleteProtection", "OK"); n == 0 {
		t.Error("delete protection was not turned off before the delete")
	}
	w.deleteAndWait(t, "default", "retype")
}

func testLBPortChange(t *testing.T, w *lbWorld) {
	svc := framework.CreateLoadBalancerService(t, w.cs, "default", "moving", framework.ServiceOptions{})
	svc = w.waitIngress(t, "default", svc.Name)
	port := int(svc.Spec.Ports[0].Port)
	w.waitState(t, "the first listener", func(s *clbState) error {
		if i := s.lbIndex("", svc); i >= 0 {
			return s.wantListener(i, port, "tcp", nil)
		}
		return fmt.Errorf("no CLB")
	})
	w.updateService(t, "default", svc.Name, func(s *corev1.Service) { s.Spec.Ports[0].Port = int32(port + 1000) })
	w.waitState(t, "the listener moved", func(s *clbState) error {
		i := s.lbIndex("", svc)
		if i < 0 {
			return fmt.Errorf("no CLB")
		}
		if err := s.wantListener(i, port+1000, "tcp", map[string]string{"Status": "running"}); err != nil {
			return err
		}
		if n := len(s.LBs[i].Listeners); n != 1 {
			return fmt.Errorf("%d listeners, want only the new port's (the old one deleted)", n)
		}
		return nil
	})
	w.deleteAndWait(t, "default", svc.Name)
}

func testLBSourceRanges(t *testing.T, w *lbWorld) {
	svc := framework.CreateLoadBalancerService(t, w.cs, "default", "ranges", framework.ServiceOptions{})
	svc = w.waitIngress(t, "default", svc.Name)
	at := func(check func(s *clbState, i int) error) func(s *clbState) error {
		return func(s *clbState) error {
			if i := s.lbIndex("", svc); i >= 0 {
				return check(s, i)
			}
			return fmt.Errorf("no CLB")
		}
	}
	ranges := func(r ...string) func(*corev1.Service) {
		return func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = r }
	}
	w.updateService(t, "default", svc.Name, ranges("10.0.0.0/8"))
	w.waitState(t, "ACL with one range", at(func(s *clbState, i int) error { return s.sourceRangesACL(i, svc, "10.0.0.0/8") }))
	w.updateService(t, "default", svc.Name, ranges("172.16.0.0/12", "198.51.100.0/24"))
	w.waitState(t, "ACL entries replaced", at(func(s *clbState, i int) error {
		return s.sourceRangesACL(i, svc, "172.16.0.0/12 198.51.100.0/24")
	}))
	w.updateService(t, "default", svc.Name, ranges())
	w.waitState(t, "access control off", at(func(s *clbState, i int) error {
		return s.wantListener(i, int(svc.Spec.Ports[0].Port), "tcp", map[string]string{"AclStatus": "off"})
	}))
	w.deleteAndWait(t, "default", svc.Name)
	w.waitState(t, "our ACL deleted with the CLB", func(s *clbState) error {
		for _, a := range s.ACLs {
			if strings.Contains(a.Name, "/"+svc.Name+"/") {
				return fmt.Errorf("ACL %s (%s) left behind", a.ID, a.Name)
			}
		}
		return nil
	})
}
