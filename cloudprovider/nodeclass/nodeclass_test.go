package nodeclass

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestClasses(t *testing.T) {
	taint := v1.Taint{Key: "node.cloudprovider.kubernetes.io/uninitialized", Value: "true", Effect: v1.TaintEffectNoSchedule}
	tests := []struct {
		name          string
		node          *v1.Node
		virtual       bool
		uninitialized bool
		instance      string // "" = no ECS instance
	}{
		{name: "nil", node: nil},
		{name: "ECS node", node: &v1.Node{Spec: v1.NodeSpec{ProviderID: "cn-hangzhou.i-bp1abc"}}, instance: "i-bp1abc"},
		{name: "ECS node with scheme", node: &v1.Node{Spec: v1.NodeSpec{ProviderID: "alicloud://cn-hangzhou.i-bp1abc"}}, instance: "i-bp1abc"},
		{name: "virtual-kubelet (ECI) node", node: &v1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"type": "virtual-kubelet"}}}, virtual: true},
		{name: "other type label", node: &v1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"type": "edge"}}}},
		{name: "not yet initialised", node: &v1.Node{Spec: v1.NodeSpec{Taints: []v1.Taint{taint}}}, uninitialized: true},
		{name: "data-centre node", node: &v1.Node{Spec: v1.NodeSpec{ProviderID: "baremetal://rack-7/host-3"}}},
		{name: "another cloud's node", node: &v1.Node{Spec: v1.NodeSpec{ProviderID: "aws:///us-east-1a/i-0abc"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsVirtual(tc.node); got != tc.virtual {
				t.Errorf("IsVirtual = %v, want %v", got, tc.virtual)
			}
			if got := IsUninitialized(tc.node); got != tc.uninitialized {
				t.Errorf("IsUninitialized = %v, want %v", got, tc.uninitialized)
			}
			id, ok := ECSInstance(tc.node)
			if ok != (tc.instance != "") || id.InstanceID != tc.instance {
				t.Errorf("ECSInstance = %+v, %v; want %q", id, ok, tc.instance)
			}
		})
	}
}
