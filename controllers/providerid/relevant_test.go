package providerid

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRelevantChange(t *testing.T) {
	base := func() *v1.Node {
		return &v1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{"a": "b"}},
			Status: v1.NodeStatus{
				Addresses:  []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "192.168.0.1"}},
				Conditions: []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue}},
			},
		}
	}
	tests := []struct {
		name   string
		mutate func(n *v1.Node)
		want   bool
	}{
		{"heartbeat only", func(n *v1.Node) { n.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(time.Now()) }, false},
		{"address changed", func(n *v1.Node) { n.Status.Addresses[0].Address = "192.168.0.2" }, true},
		{"providerID set", func(n *v1.Node) { n.Spec.ProviderID = "cn-hangzhou.i-abc" }, true},
		{"taint added", func(n *v1.Node) { n.Spec.Taints = []v1.Taint{{Key: "k", Effect: v1.TaintEffectNoSchedule}} }, true},
		{"label changed", func(n *v1.Node) { n.Labels["type"] = "virtual-kubelet" }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old, cur := base(), base()
			tc.mutate(cur)
			if got := relevantChange(old, cur); got != tc.want {
				t.Errorf("relevantChange = %v, want %v", got, tc.want)
			}
		})
	}
}
