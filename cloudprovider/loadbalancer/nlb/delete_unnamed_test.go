package nlb

import (
	"testing"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestDeleteAfterIDRemoved: a Service that reused a user's NLB and lost
// its id annotation before it was deleted still leaves that NLB as it
// was: its server groups, found by our tags anywhere, name the NLB whose
// listeners use them, and the Service's listeners there are removed
// before the groups (a group a listener uses cannot be deleted). The NLB
// itself and the user's listener get no write.
func TestDeleteAfterIDRemoved(t *testing.T) {
	e := engineEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.NLBs = []emulator.SeedNLB{seedNLB("nlb-user", "user-nlb", nil)}
	}})
	svc := testService("web", anno("id", "nlb-user"))
	e.converge(svc, e.config(svc, nil))
	if n := len(e.listeners("nlb-user")); n != 1 {
		t.Fatalf("listeners on the user's NLB after the reconcile: %d, want 1", n)
	}
	gone := svc.DeepCopy()
	gone.Annotations = nil
	e.emu.ResetAudit()
	e.deleted(gone)
	e.clock.Advance(jobTime)
	if ls := e.listeners("nlb-user"); len(ls) != 0 {
		t.Errorf("the Service's listeners stayed on the user's NLB: %+v", ls)
	}
	if gs := e.ourGroups(svc); len(gs) != 0 {
		t.Errorf("the Service's server groups stayed: %+v", gs)
	}
	if len(e.lbs()) != 1 {
		t.Errorf("NLBs %+v: the user's NLB must stay", e.lbs())
	}
	for _, w := range e.writes() {
		if w == "DeleteLoadBalancer" || w == "UpdateLoadBalancerAttribute" {
			t.Errorf("the user's NLB got %s", w)
		}
	}
}
