package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// IDs of the user's resources examples/services refers to. The emulator
// is seeded with the CLB, its vServer group and the certificates under
// these very IDs; the ACL and the vSwitch get emulator IDs, which the test
// writes into the manifests at apply time (lbExample.rewrite).
const (
	reusedLB    = "lb-demo-existing"
	sharedGroup = "rsp-demo-shared"
	demoCert    = "1234567890123456_demo_cert"
	demoCert2   = "1234567890123456_demo_cert2"
)

// seedExamples adds what examples/services refer to: the certificates and
// a user's CLB lb-demo-existing with a user vServer group rsp-demo-shared
// (one member of the user's) and a foreign listener on 443 using it.
func (w *lbWorld) seedExamples(t *testing.T) {
	err := w.emu.Emulator.Seed(emulator.SeedState{Certificates: []emulator.Certificate{
		{ServerCertificateID: demoCert, CommonName: "example.com"},
		{ServerCertificateID: demoCert2, CommonName: "api.example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.emu.Emulator.SeedLoadBalancer(emulator.SeedLB{LoadBalancerID: reusedLB, Name: "users-clb",
		VServerGroups: []emulator.SeedVServerGroup{{VServerGroupID: sharedGroup, Name: "shared",
			Backends: []emulator.SeedBackend{{ServerID: w.emu.Instances[0].InstanceID, Port: 9000, Description: "user"}}}},
		Listeners: []emulator.SeedListener{{Protocol: "tcp", Port: 443, VServerGroup: "shared", Attributes: map[string]string{"Description": "console", "Scheduler": "wlc"}}}})
	if err != nil {
		t.Fatal(err)
	}
}

// foreignIntact checks the user's objects on lb-demo-existing: exactly
// the foreign listener, unchanged, and the user's member of the shared
// group. ours is what the Service may have added: listeners other than
// 443 and members of the shared group other than the user's.
func (w *lbWorld) foreignIntact(s *clbState, oursAllowed bool) error {
	i := s.lbIndex(reusedLB, nil)
	if i < 0 {
		return fmt.Errorf("the reused CLB %s is gone", reusedLB)
	}
	if err := s.wantListener(i, 443, "tcp", map[string]string{"Description": "console", "Scheduler": "wlc", "VServerGroupId": sharedGroup, "Status": "running"}); err != nil {
		return fmt.Errorf("foreign listener: %w", err)
	}
	if n := len(s.LBs[i].Listeners); !oursAllowed && n != 1 {
		return fmt.Errorf("reused CLB has %d listeners, want only the foreign one", n)
	}
	user := fmt.Sprintf("%s:9000=100", w.emu.Instances[0].InstanceID)
	m, ok := s.groupMembers(i, sharedGroup)
	if !ok || !strings.Contains(m, user) || (!oursAllowed && m != user) {
		return fmt.Errorf("shared group members %q, want the user's %s", m, user)
	}
	if n := len(s.LBs[i].Groups); !oursAllowed && n != 1 {
		return fmt.Errorf("reused CLB has %d vServer groups, want only the user's", n)
	}
	return nil
}

// lbExample says how one examples/services file is checked.
type lbExample struct {
	// rewrite maps placeholder IDs in the file to emulator resources.
	rewrite func(t *testing.T, w *lbWorld) map[string]string
	// reuse is the reused CLB's ID; empty for the Service's own CLB.
	reuse string
	// setup runs once the Service has its CLB (endpoints, EIPs).
	setup func(t *testing.T, w *lbWorld, svc *corev1.Service)
	// check is the state the example asks for; i indexes the CLB.
	check func(w *lbWorld, s *clbState, i int, svc *corev1.Service) error
	// edit changes an annotation of the example's group; checkEdit is
	// the converged state after it.
	edit      func(*corev1.Service)
	checkEdit func(w *lbWorld, s *clbState, i int, svc *corev1.Service) error
	// status, when set, must hold for the published status after the edit.
	status func(in []corev1.LoadBalancerIngress) bool
	// preserved: the CLB stays after the delete, handed over to the user.
	preserved bool
}

// listenerIs checks the Service's first port's listener.
func listenerIs(proto string, want ...string) func(*lbWorld, *clbState, int, *corev1.Service) error {
	return func(_ *lbWorld, s *clbState, i int, svc *corev1.Service) error {
		m := map[string]string{}
		for k := 0; k+1 < len(want); k += 2 {
			m[want[k]] = want[k+1]
		}
		return s.wantListener(i, int(svc.Spec.Ports[0].Port), proto, m)
	}
}

// lbIs checks attributes of the CLB itself.
func lbIs(want func(s *clbState, i int) string) func(*lbWorld, *clbState, int, *corev1.Service) error {
	return func(_ *lbWorld, s *clbState, i int, _ *corev1.Service) error {
		if msg := want(s, i); msg != "" {
			return fmt.Errorf("CLB %s: %s", s.LBs[i].LB.LoadBalancerId, msg)
		}
		return nil
	}
}

// ourGroup returns the members of the Service's own group on nodePort.
func ourGroup(s *clbState, i int, svc *corev1.Service, port int32) (string, error) {
	for _, g := range s.LBs[i].Groups {
		if strings.HasPrefix(g.Name, fmt.Sprintf("k8s/%d/%s/%s/", port, svc.Name, svc.Namespace)) {
			m, _ := s.groupMembers(i, g.ID)
			return m, nil
		}
	}
	return "", fmt.Errorf("no vServer group of %s for port %d on %s", svc.Name, port, s.LBs[i].LB.LoadBalancerId)
}

// nodeMembers renders nodes idx of the world on port with weight w.
func (w *lbWorld) nodeMembers(port int32, weight int, idx ...int) string {
	var out []string
	for _, n := range idx {
		out = append(out, fmt.Sprintf("%s:%d=%d", w.emu.Instances[n].InstanceID, port, weight))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func membersAre(want func(w *lbWorld, svc *corev1.Service) string, group func(svc *corev1.Service) int32) func(*lbWorld, *clbState, int, *corev1.Service) error {
	return func(w *lbWorld, s *clbState, i int, svc *corev1.Service) error {
		got, err := ourGroup(s, i, svc, group(svc))
		if err != nil {
			return err
		}
		if exp := want(w, svc); got != exp {
			return fmt.Errorf("members %q, want %q", got, exp)
		}
		return nil
	}
}

func nodePort(svc *corev1.Service) int32   { return svc.Spec.Ports[0].NodePort }
func targetPort(svc *corev1.Service) int32 { return svc.Spec.Ports[0].TargetPort.IntVal }

// both runs checks in order.
func both(cs ...func(*lbWorld, *clbState, int, *corev1.Service) error) func(*lbWorld, *clbState, int, *corev1.Service) error {
	return func(w *lbWorld, s *clbState, i int, svc *corev1.Service) error {
		for _, c := range cs {
			if err := c(w, s, i, svc); err != nil {
				return err
			}
		}
		return nil
	}
}

// testLBExamples applies every examples/services file as it is (bar the
// rewritten IDs), checks the CLB it asks for, edits one annotation of its
// group and checks the change, then deletes it and checks the cleanup.
func testLBExamples(t *testing.T, w *lbWorld) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "services", "*.yaml"))
	sort.Strings(files)
	if len(files) < 20 {
		t.Fatalf("found %d examples/services files, expected at least 20", len(files))
	}
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "nlb-") {
			// NLB examples need the NLB engine: lb_nlb_annotations_test.go
			// runs them (the annotations package's TestExamplesParse keeps
			// every NLB example, and only those, named nlb-*).
			continue
		}
		ex, ok := lbExamples[base]
		if !ok {
			t.Errorf("%s has no entry in lbExamples: say what it must converge to", base)
			continue
		}
		t.Run(base, func(t *testing.T) { w.runExample(t, f, ex) })
	}
}

func (w *lbWorld) runExample(t *testing.T, file string, ex lbExample) {
	var rewrite map[string]string
	if ex.rewrite != nil {
		rewrite = ex.rewrite(t, w)
	}
	svc := readService(t, file, rewrite)
	ns := "default"
	svc.Namespace = ns
	before := w.lbCount(t)
	if _, err := w.cs.CoreV1().Services(ns).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc = w.waitIngress(t, ns, svc.Name)
	if ex.setup != nil {
		ex.setup(t, w, svc)
	}
	at := func(check func(*lbWorld, *clbState, int, *corev1.Service) error) func(*clbState) error {
		return func(s *clbState) error {
			i := s.lbIndex(ex.reuse, svc)
			if i < 0 {
				return fmt.Errorf("no CLB for %s", svc.Name)
			}
			if ex.reuse != "" {
				if err := w.foreignIntact(s, true); err != nil {
					return err
				}
			} else {
				// Any protocol: protocol-port may give a ServicePort a
				// listener of another protocol.
				for _, p := range svc.Spec.Ports {
					if !slices.ContainsFunc([]string{"tcp", "udp", "http", "https"}, func(proto string) bool {
						return s.listenerAttrs(i, int(p.Port), proto) != nil
					}) {
						return fmt.Errorf("no listener for port %d", p.Port)
					}
				}
			}
			return check(w, s, i, svc)
		}
	}
	w.waitState(t, "the CLB the example asks for", at(ex.check))
	w.updateService(t, ns, svc.Name, ex.edit)
	svc = w.getService(t, ns, svc.Name)
	w.waitState(t, "the edit converged", at(ex.checkEdit))
	if ex.status != nil {
		w.waitStatus(t, ns, svc.Name, "status after the edit", ex.status)
	}
	st := w.state(t)
	id := st.LBs[st.lbIndex(ex.reuse, svc)].LB.LoadBalancerId
	w.deleteAndWait(t, ns, svc.Name)
	w.waitState(t, "the cleanup", func(s *clbState) error {
		switch {
		case ex.reuse != "":
			return w.foreignIntact(s, false)
		case ex.preserved:
			return preservedCLB(s, id)
		case s.lbIndex("", svc) >= 0 || len(s.LBs) != before:
			return fmt.Errorf("%d CLBs, want %d: the Service's CLB was not deleted", len(s.LBs), before)
		}
		for _, a := range s.ACLs {
			if strings.Contains(a.Name, "/"+svc.Name+"/") {
				return fmt.Errorf("ACL %s (%s) of the Service left behind", a.ID, a.Name)
			}
		}
		return nil
	})
}

// seedACL creates a user's ACL (as in the SLB console) and returns its ID.
func (w *lbWorld) seedACL(t *testing.T, name string, entries ...string) string {
	t.Helper()
	req := newACLRequest(name)
	resp, err := w.api.CreateAccessControlList(framework.Ctx(t), req)
	if err != nil {
		t.Fatalf("creating the user's ACL: %v", err)
	}
	if len(entries) > 0 {
		add := newACLEntryRequest(resp.AclId, entries)
		if _, err := w.api.AddAccessControlListEntry(framework.Ctx(t), add); err != nil {
			t.Fatalf("adding entries to the user's ACL: %v", err)
		}
	}
	return resp.AclId
}

// preservedCLB checks a CLB kept by preserve-lb-on-delete: handed over
// with its listener, without our ownership tags and with both protections
// off so the user can delete it.
func preservedCLB(s *clbState, id string) error {
	i := s.lbIndex(id, nil)
	if i < 0 {
		return fmt.Errorf("preserved CLB %s was deleted", id)
	}
	lb := s.LBs[i].LB
	if lb.DeleteProtection != "off" || lb.ModificationProtectionStatus != "NonProtection" || len(s.LBs[i].Listeners) != 1 {
		return fmt.Errorf("preserved CLB %s: protections %s/%s, %d listeners; want off/NonProtection and its listener",
			id, lb.DeleteProtection, lb.ModificationProtectionStatus, len(s.LBs[i].Listeners))
	}
	for k := range s.lbTags(i) {
		if strings.HasPrefix(k, "alicloud-ccm/") {
			return fmt.Errorf("preserved CLB %s still carries ownership tag %s", id, k)
		}
	}
	return nil
}
