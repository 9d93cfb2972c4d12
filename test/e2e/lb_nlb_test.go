package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// nlbClass is the loadBalancerClass of NLB Services (the official CCM's).
const nlbClass = "alibabacloud.com/nlb"

// TestLBProductSelection: Services asking for an NLB, by class or by the
// type annotation, get an NLB and its hostname (the class through this
// CCM's nlb-service controller, which adds its own cleanup finalizer
// first; the annotation through the framework), never a CLB write, and
// lose their NLB with the Service, deleted by exactly one controller (one
// component's delete Events, one DeleteLoadBalancer);
// switching an existing CLB Service to NLB is refused with
// LoadBalancerTypeChangeRefused and no write, and switching back resumes;
// a Service with another controller's class is left alone; CLB Services
// next to them are served as before and deleted cleanly.
func TestLBProductSelection(t *testing.T) {
	w := newLBWorld(t)
	t.Run("NLB class", func(t *testing.T) {
		w.emu.Emulator.ResetAudit()
		w.createClassService(t, "nlb-class", nlbClass)
		w.waitEvent(t, "default", "nlb-class", "EnsuringLoadBalancer")
		w.waitFinalizer(t, "default", "nlb-class", nlbFinalizer)
		w.waitHostname(t, "nlb-class")
		w.waitEvent(t, "default", "nlb-class", "EnsuredLoadBalancer")
		if wr := w.writes(); len(wr) != 0 {
			t.Errorf("CLB writes for an NLB Service: %v", wr)
		}
		w.emu.Emulator.ResetAudit()
		w.deleteAndWait(t, "default", "nlb-class")
		if n := len(w.nlbState(t).LoadBalancers); n != 0 {
			t.Errorf("%d NLBs left after the NLB Service was deleted", n)
		}
		w.checkDeletedOnce(t, "nlb-class")
	})
	t.Run("NLB annotation", func(t *testing.T) {
		w.emu.Emulator.ResetAudit()
		framework.CreateLoadBalancerService(t, w.cs, "default", "nlb-anno", framework.ServiceOptions{
			Annotations: map[string]string{annoPrefix + "type": "nlb"}})
		w.waitEvent(t, "default", "nlb-anno", "EnsuringLoadBalancer")
		w.waitFinalizer(t, "default", "nlb-anno", frameworkFinalizer)
		w.waitHostname(t, "nlb-anno")
		if wr := w.writes(); len(wr) != 0 {
			t.Errorf("CLB writes for an NLB Service: %v", wr)
		}
		w.emu.Emulator.ResetAudit()
		w.deleteAndWait(t, "default", "nlb-anno")
		if n := len(w.nlbState(t).LoadBalancers); n != 0 {
			t.Errorf("%d NLBs left after the NLB Service was deleted", n)
		}
		w.checkDeletedOnce(t, "nlb-anno")
	})
	t.Run("another controller's class untouched", func(t *testing.T) {
		w.emu.Emulator.ResetAudit()
		w.createClassService(t, "foreign", "example.com/lb")
		time.Sleep(6 * time.Second) // past both service controllers' first retry
		for _, a := range w.emu.Emulator.Audit() {
			if a.Product == "Slb" || a.Product == "Nlb" {
				t.Errorf("load balancer call %s.%s for another controller's Service", a.Product, a.Action)
			}
		}
		svc := w.getService(t, "default", "foreign")
		if len(svc.Finalizers) != 0 || len(svc.Status.LoadBalancer.Ingress) != 0 {
			t.Errorf("another controller's Service changed: finalizers %v, status %v", svc.Finalizers, svc.Status.LoadBalancer)
		}
		evs, err := w.cs.CoreV1().Events("default").List(framework.Ctx(t), metav1.ListOptions{FieldSelector: "involvedObject.name=foreign"})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs.Items {
			t.Errorf("event %s %q on another controller's Service", e.Reason, e.Message)
		}
		w.deleteAndWait(t, "default", "foreign")
	})
	t.Run("CLB to NLB switch refused", func(t *testing.T) {
		before := w.lbCount(t)
		framework.CreateLoadBalancerService(t, w.cs, "default", "switch", framework.ServiceOptions{})
		ip := w.waitIngress(t, "default", "switch").Status.LoadBalancer.Ingress[0].IP
		w.emu.Emulator.ResetAudit()
		w.updateService(t, "default", "switch", setAnnotations("type", "nlb"))
		ev := w.waitEvent(t, "default", "switch", "LoadBalancerTypeChangeRefused")
		if !strings.Contains(ev.Message, "has a CLB") {
			t.Errorf("event %q does not say the Service has a CLB", ev.Message)
		}
		// A node change must not touch the CLB's backends either.
		framework.CreateNode(t, w.cs, "switch-extra-node", framework.NodeOptions{ProviderID: w.emu.ProviderID(0), InternalIP: "192.168.0.250"})
		time.Sleep(6 * time.Second) // the service controller's first retry
		if wr := w.allWrites(); len(wr) != 0 {
			t.Errorf("writes after the switch was refused: %v", wr)
		}
		if got := w.getService(t, "default", "switch").Status.LoadBalancer.Ingress; len(got) == 0 || got[0].IP != ip {
			t.Errorf("status changed after the refused switch: %v", got)
		}
		if w.lbCount(t) != before+1 {
			t.Errorf("the CLB is gone after the refused switch")
		}
		// Back to CLB: served again, then deleted with its CLB.
		w.updateService(t, "default", "switch", setAnnotations("type", ""))
		w.waitEvent(t, "default", "switch", "EnsuredLoadBalancer")
		w.deleteAndWait(t, "default", "switch")
		framework.WaitFor(t, lbTimeout, "the CLB deleted with the Service", func() (bool, error) { return w.lbCount(t) == before, nil })
		if err := w.cs.CoreV1().Nodes().Delete(framework.Ctx(t), "switch-extra-node", metav1.DeleteOptions{}); err != nil {
			t.Error(err)
		}
	})
	t.Run("CLB Service unaffected", func(t *testing.T) {
		w.createClassService(t, "nlb-next", nlbClass)
		framework.CreateLoadBalancerService(t, w.cs, "default", "clb-next", framework.ServiceOptions{})
		if in := w.waitIngress(t, "default", "clb-next").Status.LoadBalancer.Ingress; in[0].IP == "" {
			t.Errorf("the CLB Service got no address: %v", in)
		}
		// A CLB Service whose status shows its CLB is deleted without any
		// NLB call: it cannot have an NLB.
		w.waitHostname(t, "nlb-next")
		time.Sleep(2 * time.Second) // the NLB's last job checks
		w.emu.Emulator.ResetAudit()
		w.deleteAndWait(t, "default", "clb-next")
		for _, a := range w.emu.Emulator.Audit() {
			if a.Product == "Nlb" {
				t.Errorf("NLB call %s while a CLB Service was deleted", a.Action)
			}
		}
		w.deleteAndWait(t, "default", "nlb-next")
	})
}

// createClassService creates a LoadBalancer Service with a loadBalancerClass.
func (w *lbWorld) createClassService(t *testing.T, name, class string) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: &class, Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "tcp", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}}},
	}
	if _, err := w.cs.CoreV1().Services("default").Create(framework.Ctx(t), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Cleanup finalizers: the framework's service controller's, and the
// nlb-service controller's on NLB-class Services (the official CCM's NLB
// finalizer; with the framework's, the framework would delete those
// Services' NLBs too).
const (
	frameworkFinalizer = "service.kubernetes.io/load-balancer-cleanup"
	nlbFinalizer       = "service.k8s.alibaba/nlb"
)

// waitFinalizer waits until the Service carries the cleanup finalizer fin
// (and not the other controller's): that controller has taken it on and
// will clean up after it.
func (w *lbWorld) waitFinalizer(t *testing.T, ns, name, fin string) {
	t.Helper()
	framework.WaitFor(t, lbTimeout, "the cleanup finalizer "+fin+" on "+name, func() (bool, error) {
		fins := w.getService(t, ns, name).Finalizers
		if other := map[string]string{frameworkFinalizer: nlbFinalizer, nlbFinalizer: frameworkFinalizer}[fin]; slices.Contains(fins, other) {
			return false, fmt.Errorf("%s carries %s as well as %s: two controllers would clean it up", name, other, fin)
		}
		return slices.Contains(fins, fin), nil
	})
}

// allWrites lists the write calls of every product in the audit log.
func (w *lbWorld) allWrites() []string {
	var out []string
	for _, a := range w.emu.Emulator.Audit() {
		if !strings.HasPrefix(a.Action, "Describe") && !strings.HasPrefix(a.Action, "List") && !strings.HasPrefix(a.Action, "Get") {
			out = append(out, a.Product+"."+a.Action)
		}
	}
	return out
}

// checkDeletedOnce checks that one controller deleted the NLB Service name:
// its delete Events come from one component, DeletedLoadBalancer once, and
// the NLB got one DeleteLoadBalancer call, with no NLB delete write sent
// twice (a second path would repeat the deletes or their Events).
func (w *lbWorld) checkDeletedOnce(t *testing.T, name string) {
	t.Helper()
	// Events are recorded asynchronously: the Service can be gone before
	// its DeletedLoadBalancer Event is, so wait for that one first.
	sources := map[string]bool{}
	deleted := 0
	_ = framework.Poll(lbTimeout, "the DeletedLoadBalancer Event of "+name, func() (bool, error) {
		evs, err := w.cs.CoreV1().Events("default").List(framework.Ctx(t), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return false, err
		}
		sources, deleted = map[string]bool{}, 0
		for _, e := range evs.Items {
			switch e.Reason {
			case "DeletingLoadBalancer", "DeletedLoadBalancer", "DeleteLoadBalancerFailed":
				sources[e.Source.Component] = true
			}
			if e.Reason == "DeletedLoadBalancer" {
				deleted += max(int(e.Count), 1)
			}
		}
		return deleted > 0, nil
	})
	if len(sources) != 1 || deleted != 1 {
		t.Errorf("delete Events of %s from %d components %v, DeletedLoadBalancer %d times; want one component, once", name, len(sources), sources, deleted)
	}
	calls := map[string]int{}
	for _, a := range w.emu.Emulator.Audit() {
		if a.Product == "Nlb" && a.Code == "OK" && strings.HasPrefix(a.Action, "Delete") {
			calls[a.Action+" "+a.Params["LoadBalancerId"]+a.Params["ListenerId"]+a.Params["ServerGroupId"]]++
		}
	}
	n := 0
	for k, c := range calls {
		if strings.HasPrefix(k, "DeleteLoadBalancer ") {
			n += c
		}
		if c > 1 {
			t.Errorf("%s sent %d times", k, c)
		}
	}
	if n != 1 {
		t.Errorf("DeleteLoadBalancer succeeded %d times for %s; want 1", n, name)
	}
}
