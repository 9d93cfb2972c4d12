package cloudapi

import (
	"context"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// TestNLBIPv6AddressType drives both actions through the client against
// the emulator: each call is counted with product nlb under its action and
// answer code, carries a ClientToken, and the answers are classified as
// the engine needs: the NLB busy with the change's own (JobId-less) job is
// a busy answer, retried; the documented refusals are neither busy nor
// retried.
func TestNLBIPv6AddressType(t *testing.T) {
	e := newNLBEnv(t, 10*time.Second)
	ctx := context.Background()
	v4 := e.createLB(t, "v4", nil).LoadbalancerId
	r := nlb.CreateCreateLoadBalancerRequest()
	r.LoadBalancerName, r.AddressType, r.VpcId, r.AddressIpVersion = "ds", "Intranet", nlbTestVPC, "DualStack"
	r.ZoneMappings = &[]nlb.CreateLoadBalancerZoneMappings{{ZoneId: "cn-hangzhou-h", VSwitchId: nlbTestVSWH},
		{ZoneId: "cn-hangzhou-i", VSwitchId: nlbTestVSWI}}
	created, err := e.nlb.CreateLoadBalancer(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	ds := created.LoadbalancerId
	e.clock.Advance(11 * time.Second)

	enable := func(id string) (*nlb.EnableLoadBalancerIpv6InternetRequest, error) {
		req := nlb.CreateEnableLoadBalancerIpv6InternetRequest()
		req.LoadBalancerId = id
		_, err := e.nlb.EnableLoadBalancerIpv6Internet(ctx, req)
		return req, err
	}
	disable := func(id string) error {
		req := nlb.CreateDisableLoadBalancerIpv6InternetRequest()
		req.LoadBalancerId = id
		_, err := e.nlb.DisableLoadBalancerIpv6Internet(ctx, req)
		return err
	}
	ok0 := counter(t, requestsTotal.WithLabelValues("nlb", "EnableLoadBalancerIpv6Internet", CodeSuccess))
	req, err := enable(ds)
	if err != nil {
		t.Fatal(err)
	}
	if req.ClientToken == "" {
		t.Error("EnableLoadBalancerIpv6Internet was sent without a ClientToken")
	}
	if d := counter(t, requestsTotal.WithLabelValues("nlb", "EnableLoadBalancerIpv6Internet", CodeSuccess)) - ok0; d != 1 {
		t.Errorf("Success delta %v, want 1", d)
	}

	cases := []struct {
		name     string
		action   string
		call     func() error
		code     string
		busy     bool
		attempts int
	}{
		{"the NLB is Configuring: busy, retried", "DisableLoadBalancerIpv6Internet", func() error { return disable(ds) },
			"ResourceInConfiguring.loadbalancer", true, 3},
		{"an ipv4 NLB: refused once", "EnableLoadBalancerIpv6Internet", func() error { _, err := enable(v4); return err },
			"OperationDenied.NonDualStackInstance", false, 1},
		{"no such NLB: not found", "DisableLoadBalancerIpv6Internet", func() error { return disable("nlb-missing") },
			"ResourceNotFound.loadBalancer", false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.emu.ResetAudit()
			n0 := counter(t, requestsTotal.WithLabelValues("nlb", tc.action, tc.code))
			err := tc.call()
			if Code(err) != tc.code || IsBusy(err) != tc.busy {
				t.Fatalf("%s = %v (busy %v), want %s busy %v", tc.action, err, IsBusy(err), tc.code, tc.busy)
			}
			if d := counter(t, requestsTotal.WithLabelValues("nlb", tc.action, tc.code)) - n0; int(d) != tc.attempts {
				t.Errorf("%s counted %v times, want %d", tc.code, d, tc.attempts)
			}
		})
	}

	e.clock.Advance(11 * time.Second)
	if err := disable(ds); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(11 * time.Second)
	if err := disable(ds); Code(err) != "OperationDenied.Ipv6IntranetInstance" || IsBusy(err) {
		t.Errorf("Disable of an internal-facing IPv6 = %v", err)
	}
}
