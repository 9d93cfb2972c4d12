package nodeclass

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestLoadBalancerNodes pins the framework's stable node set, one decision
// per row: what is dropped and, as important, what is kept.
func TestLoadBalancerNodes(t *testing.T) {
	now := metav1.Now()
	node := func(edit func(*v1.Node)) *v1.Node {
		n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{}}}
		edit(n)
		return n
	}
	label := func(k, v string) func(*v1.Node) { return func(n *v1.Node) { n.Labels[k] = v } }
	taint := func(k string) func(*v1.Node) {
		return func(n *v1.Node) {
			n.Spec.Taints = append(n.Spec.Taints, v1.Taint{Key: k, Effect: v1.TaintEffectNoSchedule})
		}
	}
	tests := []struct {
		name string
		node *v1.Node
		keep bool
	}{
		{"plain node", node(func(*v1.Node) {}), true},
		{"nil", nil, false},
		{"being deleted", node(func(n *v1.Node) { n.DeletionTimestamp = &now }), false},
		{"excluded", node(label(v1.LabelNodeExcludeBalancers, "")), false},
		{"excluded: true", node(label(v1.LabelNodeExcludeBalancers, "true")), false},
		{"exclusion label false", node(label(v1.LabelNodeExcludeBalancers, "false")), true},
		{"exclusion label unparsable", node(label(v1.LabelNodeExcludeBalancers, "maybe")), false},
		{"autoscaler removes it", node(taint(ToBeDeletedTaint)), false},
		{"other taint", node(taint("dedicated")), true},
		{"not ready: kept (KEP-3458)", node(func(n *v1.Node) {
			n.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionFalse}}
		}), true},
		{"cordoned: kept (drain and remove-unscheduled-backend decide)", node(func(n *v1.Node) { n.Spec.Unschedulable = true }), true},
		{"virtual: kept (the engines drop it)", node(label(VirtualLabel, VirtualValue)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := LoadBalancerNodes([]*v1.Node{tc.node})
			if (len(got) == 1) != tc.keep {
				t.Errorf("kept %d nodes, want keep=%v", len(got), tc.keep)
			}
		})
	}
	if got := LoadBalancerNodes(nil); got == nil || len(got) != 0 {
		t.Errorf("LoadBalancerNodes(nil) = %v, want an empty list", got)
	}
}
