package e2e

import (
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
// type annotation, get a Warning Event NLBNotSupported and no cloud write;
// switching an existing CLB Service to NLB is refused with
// LoadBalancerTypeChangeRefused and no write, and switching back resumes;
// CLB Services next to them are served as before and deleted cleanly.
func TestLBProductSelection(t *testing.T) {
	w := newLBWorld(t)
	t.Run("NLB class", func(t *testing.T) {
		w.emu.Emulator.ResetAudit()
		w.createClassService(t, "nlb-class", nlbClass)
		ev := w.waitEvent(t, "default", "nlb-class", "NLBNotSupported")
		if !strings.Contains(ev.Message, "spec.loadBalancerClass "+nlbClass) {
			t.Errorf("event %q does not name the class", ev.Message)
		}
		w.expectNoWrites(t, "default", "nlb-class")
		w.deleteAndWait(t, "default", "nlb-class")
	})
	t.Run("NLB annotation", func(t *testing.T) {
		w.emu.Emulator.ResetAudit()
		framework.CreateLoadBalancerService(t, w.cs, "default", "nlb-anno", framework.ServiceOptions{
			Annotations: map[string]string{annoPrefix + "type": "nlb"}})
		ev := w.waitEvent(t, "default", "nlb-anno", "NLBNotSupported")
		if !strings.Contains(ev.Message, annoPrefix+"type: nlb") {
			t.Errorf("event %q does not name the annotation", ev.Message)
		}
		w.expectNoWrites(t, "default", "nlb-anno")
		w.deleteAndWait(t, "default", "nlb-anno")
		if wr := w.allWrites(); len(wr) != 0 {
			t.Errorf("deleting the NLB Service wrote %v", wr)
		}
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
		w.deleteAndWait(t, "default", "clb-next")
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

// expectNoWrites waits past the service controller's first retry and
// checks that no cloud write happened and the Service has no address.
func (w *lbWorld) expectNoWrites(t *testing.T, ns, name string) {
	t.Helper()
	time.Sleep(6 * time.Second)
	if wr := w.allWrites(); len(wr) != 0 {
		t.Errorf("cloud writes for %s: %v", name, wr)
	}
	if in := w.getService(t, ns, name).Status.LoadBalancer.Ingress; len(in) != 0 {
		t.Errorf("%s got an address: %v", name, in)
	}
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
