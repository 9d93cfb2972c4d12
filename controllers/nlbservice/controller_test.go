package nlbservice

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
)

func TestObserve(t *testing.T) {
	nlb, other := "alibabacloud.com/nlb", "example.com/lb"
	svc := func(uid string, class *string, edit ...func(*v1.Service)) *v1.Service {
		s := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: uid, Namespace: "default", UID: types.UID(uid)},
			Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, LoadBalancerClass: class}}
		for _, e := range edit {
			e(s)
		}
		return s
	}
	tests := []struct {
		name   string
		events []*v1.Service // observed in order
		want   int           // Warning Events recorded
	}{
		{"NLB class: one event", []*v1.Service{svc("a", &nlb)}, 1},
		{"resync and status updates stay quiet", []*v1.Service{svc("a", &nlb), svc("a", &nlb),
			svc("a", &nlb, func(s *v1.Service) { s.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: "1.2.3.4"}} })}, 1},
		{"a spec change tells again", []*v1.Service{svc("a", &nlb),
			svc("a", &nlb, func(s *v1.Service) { s.Spec.Ports = []v1.ServicePort{{Port: 443}} })}, 2},
		{"another class is not ours", []*v1.Service{svc("b", &other)}, 0},
		{"no class: the framework's", []*v1.Service{svc("c", nil)}, 0},
		{"not a LoadBalancer", []*v1.Service{svc("d", &nlb, func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeClusterIP })}, 0},
		{"being deleted", []*v1.Service{svc("e", &nlb, func(s *v1.Service) { s.DeletionTimestamp = &metav1.Time{} })}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record.NewFakeRecorder(10)
			c := &Controller{recorder: rec, seen: map[types.UID]v1.ServiceSpec{}}
			for _, s := range tt.events {
				c.observe(s)
			}
			close(rec.Events)
			n := 0
			for e := range rec.Events {
				n++
				if !strings.Contains(e, "Warning NLBNotSupported spec.loadBalancerClass alibabacloud.com/nlb asks for an NLB") {
					t.Errorf("event %q", e)
				}
			}
			if n != tt.want {
				t.Errorf("%d events, want %d", n, tt.want)
			}
		})
	}
}
