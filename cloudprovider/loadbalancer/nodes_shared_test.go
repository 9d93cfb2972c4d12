package loadbalancer

import (
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// TestSharedNodeRules pins the exported node rules the NLB engine uses:
// they are the CLB engine's rules (virtual, non-ECS, excluded, labelled
// and cordoned nodes), and the slot's Source is nil until installed.
func TestSharedNodeRules(t *testing.T) {
	virtual := node("vk", "", map[string]string{nodeclass.VirtualLabel: nodeclass.VirtualValue})
	cordoned := node("cordoned", "cn-hangzhou.i-c", nil)
	cordoned.Spec.Unschedulable = true
	nodes := []*v1.Node{
		node("a", "cn-hangzhou.i-a", map[string]string{"pool": "x"}),
		node("b", "cn-hangzhou.i-b", nil),
		node("idc", "", nil),
		node("excluded", "cn-hangzhou.i-e", map[string]string{labelExcludeFromLB: ""}),
		virtual, cordoned,
	}
	tests := []struct {
		name string
		spec annotations.Backend
		want []string
	}{
		{"all ECS nodes", annotations.Backend{}, []string{"i-a", "i-b", "i-c"}},
		{"backend-label", annotations.Backend{NodeLabels: map[string]string{"pool": "x"}}, []string{"i-a"}},
		{"remove-unscheduled-backend", annotations.Backend{RemoveUnscheduled: true}, []string{"i-a", "i-b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range EligibleNodes(nodes, &tc.spec) {
				got = append(got, c.InstanceID)
				if c.Node == nil {
					t.Fatal("candidate without node")
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("EligibleNodes = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("EligibleNodes = %v, want %v", got, tc.want)
				}
			}
		})
	}
	c := CandidateNodes(nodes, &annotations.Backend{RemoveUnscheduled: true}, true)
	if !c["vk"].Virtual || c["cordoned"].InstanceID != "i-c" || !c["cordoned"].Draining || c["idc"] != (podbackends.Node{}) {
		t.Fatalf("CandidateNodes with drain = %+v", c)
	}
	var slot PodBackendSlot
	if slot.Source() != nil || (*PodBackendSlot)(nil).Source() != nil {
		t.Fatal("an empty slot has a source")
	}
}
