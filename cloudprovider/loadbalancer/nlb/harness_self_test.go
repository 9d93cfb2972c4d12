package nlb

import (
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestHarnessSeedsState pins what the shared harness gives every test: a
// seeded NLB listed with its tags and listeners, a seeded server group
// with its members, ECS nodes with providerIDs and internal IPs, and an
// audit that counts NLB writes only.
func TestHarnessSeedsState(t *testing.T) {
	svc := testService("web", nil, svcPort{443, 30443, v1.ProtocolTCP})
	e := newEnv(t, envOpts{nodes: 2, seed: func(s *emulator.SeedState) {
		s.NLBServerGroups = append(s.NLBServerGroups, emulator.SeedNLBServerGroup{ServerGroupID: "sgp-user", Name: "user", VpcID: testVPC,
			Servers: []emulator.SeedNLBServer{{ServerID: nodeID(0), Type: "Ecs", Port: 8080}}})
	}})
	lb := e.addNLB("nlb-seeded", ownTags(svc), emulator.SeedNLBListener{Protocol: "TCP", Port: 80, ServerGroupID: "sgp-user"})
	if lb.LoadBalancerId != "nlb-seeded" || len(lb.Tags) != 3 {
		t.Fatalf("seeded NLB listed as %+v", lb)
	}
	if ls := e.listeners(lb.LoadBalancerId); len(ls) != 1 || ls[0].ListenerPort != 80 || ls[0].ServerGroupId != "sgp-user" {
		t.Fatalf("listeners %+v", ls)
	}
	if gs := e.groups(); len(gs) != 1 || gs[0].ServerGroupId != "sgp-user" {
		t.Fatalf("groups %+v", gs)
	}
	if ss := e.servers("sgp-user"); len(ss) != 1 || ss[0].ServerId != nodeID(0) || ss[0].Port != 8080 {
		t.Fatalf("servers %+v", ss)
	}
	if len(e.nodes) != 2 || e.nodes[1].Spec.ProviderID != testRegion+"."+nodeID(1) || e.nodes[1].Status.Addresses[0].Address == "" {
		t.Fatalf("nodes %+v", e.nodes)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("seeding and listing made writes: %v", w)
	}
	if svc.Spec.Ports[0].TargetPort.IntValue() != 8080 || svc.Spec.Ports[0].NodePort != 30443 {
		t.Fatalf("service ports %+v", svc.Spec.Ports)
	}
}
