package loadbalancer

import (
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestEnsureCreatesThenNoopResyncWritesNothing(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 3})
	svc := service("web", nil, port{"http", 80, 30080, v1.ProtocolTCP}, port{"dns", 53, 30053, v1.ProtocolUDP})
	st := e.ensure(svc)
	if len(st.Ingress) != 1 || st.Ingress[0].IP == "" {
		t.Fatalf("status = %+v", st)
	}
	lbs := e.lbs()
	if len(lbs) != 1 {
		t.Fatalf("%d CLBs", len(lbs))
	}
	ls := e.listeners(lbs[0].LoadBalancerId)
	if len(ls) != 2 {
		t.Fatalf("listeners: %+v", ls)
	}
	for _, l := range ls {
		if l.Status != "running" || l.VServerGroupId == "" || !ownedBy(l.Description, svc, testCluster) {
			t.Errorf("listener %d/%s: status %s group %q desc %q", l.ListenerPort, l.ListenerProtocol, l.Status, l.VServerGroupId, l.Description)
		}
	}
	for name, m := range e.groupMembers(lbs[0].LoadBalancerId) {
		if len(m) != 3 {
			t.Errorf("group %s has %d members", name, len(m))
		}
	}
	e.emu.ResetAudit()
	e.ensure(svc)
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("no-op resync wrote: %v", w)
	}
	e.restart()
	e.ensure(svc)
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("no-op resync after restart wrote: %v", w)
	}
}
