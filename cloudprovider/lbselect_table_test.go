package cloudprovider

import (
	"context"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// TestHostnames: the refusal names the NLB by its published DNS names.
func TestHostnames(t *testing.T) {
	ing := func(ip, host string) v1.LoadBalancerIngress { return v1.LoadBalancerIngress{IP: ip, Hostname: host} }
	st := v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{ing("1.1.1.1", ""), ing("", "a"), ing("", "b")}}
	if got := hostnames(st); got != "a,b" {
		t.Errorf("hostnames = %q, want a,b", got)
	}
}

// TestProductRefusals is the table of Services the CLB engine must not
// write for: each gets its reason as a Warning Event and an error, and no
// cloud call is made beyond the read that looks for an existing CLB.
func TestProductRefusals(t *testing.T) {
	other, nlbClass := "example.com/lb", annotations.NLBClass
	nlbAnnotation := map[string]string{string(annotations.KeyLoadBalancerType): "nlb"}
	nlbStatus := v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{Hostname: "nlb-1.cn-hangzhou.nlb.aliyuncs.com"}}}
	clbStatus := v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: "47.0.0.1"}}}
	tests := []struct {
		name        string
		class       *string
		annotations map[string]string
		status      v1.LoadBalancerStatus
		wantReason  string // "" = no Event
		wantErr     string // "" = the CLB engine may run
	}{
		{name: "CLB Service", wantErr: ""},
		{name: "CLB Service with a CLB", status: clbStatus, wantErr: ""},
		{name: "another controller's class", class: &other, wantErr: "not this CCM's"},
		{name: "asks for a CLB, has an NLB", status: nlbStatus, wantReason: loadbalancer.ReasonTypeChangeRefused, wantErr: "cannot switch"},
		{name: "NLB annotation, has a CLB", annotations: nlbAnnotation, status: clbStatus, wantReason: loadbalancer.ReasonTypeChangeRefused,
			wantErr: "cannot switch"},
		{name: "NLB annotation, nothing yet", annotations: nlbAnnotation, wantReason: loadbalancer.ReasonNLBNotSupported, wantErr: "NLB"},
		{name: "NLB class, nothing yet", class: &nlbClass, wantReason: loadbalancer.ReasonNLBNotSupported, wantErr: "NLB"},
	}
	c, srv := routedCloud(t, "c-1")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := record.NewFakeRecorder(5)
			p := &productSelector{clb: c.clbEngine(), events: rec}
			svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", UID: "uid-web", Annotations: tc.annotations},
				Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, LoadBalancerClass: tc.class}, Status: v1.ServiceStatus{LoadBalancer: tc.status}}
			srv.Emulator.ResetAudit()
			err := p.refusal(context.Background(), "kubernetes", svc)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			var event string
			select {
			case event = <-rec.Events:
			default:
			}
			if tc.wantReason == "" && event != "" || !strings.Contains(event, tc.wantReason) {
				t.Errorf("event %q, want reason %q", event, tc.wantReason)
			}
			for _, a := range srv.Emulator.Audit() {
				if !strings.HasPrefix(a.Action, "Describe") && !strings.HasPrefix(a.Action, "List") {
					t.Errorf("write %s while deciding", a.Action)
				}
			}
			// UpdateLoadBalancer leaves refused Services alone (no call at all).
			if tc.wantReason != "" {
				srv.Emulator.ResetAudit()
				if err := p.UpdateLoadBalancer(context.Background(), "kubernetes", svc, nil); err != nil {
					t.Errorf("UpdateLoadBalancer = %v, want a silent no-op", err)
				}
				if n := len(srv.Emulator.Audit()); n != 0 {
					t.Errorf("%d calls for a refused Service's backends", n)
				}
			}
		})
	}
	if c.clbEngine() == nil {
		t.Error("the CLB engine is not reachable behind the product selector")
	}
}
