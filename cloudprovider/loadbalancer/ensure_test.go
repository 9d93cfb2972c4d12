package loadbalancer

import (
	"context"
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

// TestEnsureModes pins the two modes of ensure: modeBackends never
// creates a CLB nor touches listeners and returns no status; modeFull
// creates and returns the status.
func TestEnsureModes(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 3})
	svc := service("web", nil)
	all := e.nodes
	e.nodes = all[:2]
	cfg, err := e.r.desired(svc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := e.r.ensure(ctx, svc, cfg, e.nodes, modeBackends)
	if err != nil || st != nil {
		t.Fatalf("backends mode without a CLB: status %v, err %v", st, err)
	}
	if w := e.writes(); len(w) != 0 || len(e.lbs()) != 0 {
		t.Fatalf("backends mode without a CLB wrote %v", w)
	}
	if st, err = e.r.ensure(ctx, svc, cfg, e.nodes, modeFull); err != nil || st == nil || len(st.Ingress) != 1 {
		t.Fatalf("full mode: status %v, err %v", st, err)
	}
	e.emu.ResetAudit()
	e.nodes = all
	if st, err = e.r.ensure(ctx, svc, cfg, e.nodes, modeBackends); err != nil || st != nil {
		t.Fatalf("backends mode: status %v, err %v", st, err)
	}
	if w := e.writes(); len(w) != 1 || w[0] != "AddVServerGroupBackendServers" {
		t.Errorf("backends mode for a new node made %v, want one member add", w)
	}
}
