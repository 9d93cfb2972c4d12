package nlb

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestInvalidAnnotationsNoCalls: a Service whose annotations do not parse
// gets a Warning Event naming the key and value, an error, and not one
// cloud call, from every entry point that plans (Ensure, Update).
func TestInvalidAnnotationsNoCalls(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", anno("zone-maps", "cn-hangzhou-h:not-a-vswitch"))
	e.emu.ResetAudit()
	if _, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes); err == nil || !strings.Contains(err.Error(), "zone-maps") {
		t.Fatalf("EnsureLoadBalancer: %v", err)
	}
	if err := e.r.UpdateLoadBalancer(context.Background(), "k", svc, e.nodes); err == nil {
		t.Fatal("UpdateLoadBalancer accepted the Service")
	}
	if c := e.calls(); len(c) != 0 {
		t.Errorf("calls %v", c)
	}
	evs := e.drainEvents()
	if !hasEvent(evs, loadbalancer.ReasonInvalidAnnotation) || !hasEvent(evs, "not-a-vswitch") {
		t.Errorf("events %v", evs)
	}
}

// TestJobsNeverWaited: while the create job runs, each reconcile is one
// job check ending in a RetryError whose delay grows with the job's age
// (within 1-10 s); no reconcile sleeps.
func TestJobsNeverWaited(t *testing.T) {
	e := engineEnv(t, envOpts{jobs: 40 * time.Second})
	svc := testService("web", nil)
	cfg := e.config(svc, nil)
	var re *cloudproviderapi.RetryError
	if _, err := e.step(svc, cfg); !errors.As(err, &re) || re.RetryAfter() != minJobRetry {
		t.Fatalf("create: %v", err)
	}
	var delays []time.Duration
	for i := 0; i < 6; i++ {
		e.clock.Advance(re.RetryAfter())
		e.emu.ResetAudit()
		start := time.Now()
		_, err := e.step(svc, cfg)
		if !errors.As(err, &re) {
			t.Fatalf("round %d: %v", i, err)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("round %d took %v", i, time.Since(start))
		}
		if c := e.calls(); !slices.Equal(c, []string{"GetJobStatus"}) {
			t.Errorf("round %d calls %v", i, c)
		}
		delays = append(delays, re.RetryAfter())
	}
	for i := 1; i < len(delays); i++ {
		if delays[i] < delays[i-1] || delays[i] > maxJobRetry {
			t.Errorf("delays %v: want growing within %v", delays, maxJobRetry)
		}
	}
	st, _ := e.converge(svc, cfg)
	if len(st.Ingress) == 0 {
		t.Fatal("no status")
	}
}

// TestJobDelay pins the retry delay by job age.
func TestJobDelay(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := New(nil, nil, Options{})
	r.now = func() time.Time { return now }
	for _, tc := range []struct {
		age, want time.Duration
	}{{0, minJobRetry}, {time.Second, minJobRetry}, {6 * time.Second, 3 * time.Second}, {time.Minute, maxJobRetry}, {-time.Minute, minJobRetry}} {
		if got := r.jobDelay(now.Add(-tc.age)); got != tc.want {
			t.Errorf("age %v: %v, want %v", tc.age, got, tc.want)
		}
	}
}

// TestFailedJobReportedOnce: a write whose job fails (the cloud undoes it)
// is reported by the next reconcile as an error naming the step and the
// job, with a Warning Event; the reconcile after writes again and
// converges.
func TestFailedJobReportedOnce(t *testing.T) {
	e := engineEnv(t, envOpts{faults: &emulator.FaultProfile{JobFailures: []emulator.JobFailureRule{{Match: "UpdateLoadBalancerAttribute", Count: 1}}}})
	svc := testService("web", nil)
	e.converge(svc, e.config(svc, nil))
	cfg := e.config(svc, func(c *annotations.NLBConfig) { c.LB.Name = "renamed" })
	var re *cloudproviderapi.RetryError
	if _, err := e.step(svc, cfg); !errors.As(err, &re) {
		t.Fatalf("rename: %v", err)
	}
	e.clock.Advance(jobTime)
	_, err := e.step(svc, cfg)
	var jf *cloudapi.JobFailedError
	if !errors.As(err, &jf) || !strings.Contains(err.Error(), "NLB attributes") {
		t.Fatalf("want the failed job, got %v", err)
	}
	if evs := e.drainEvents(); !hasEvent(evs, loadbalancer.ReasonSyncFailed) {
		t.Errorf("events %v", evs)
	}
	if e.only().LoadBalancerName == "renamed" {
		t.Fatal("the failed rename stuck")
	}
	e.emu.ResetAudit()
	e.converge(svc, cfg)
	if e.only().LoadBalancerName != "renamed" || e.count("UpdateLoadBalancerAttribute") != 1 {
		t.Errorf("after the retry: %s, calls %v", e.only().LoadBalancerName, e.calls())
	}
}

// TestProvisioningAfterRestart: a CCM restarted while its NLB provisions
// knows no job; it finds the NLB by its tags, sees Provisioning and
// retries without writing.
func TestProvisioningAfterRestart(t *testing.T) {
	e := engineEnv(t, envOpts{jobs: 30 * time.Second})
	svc := testService("web", nil)
	cfg := e.config(svc, nil)
	if _, err := e.step(svc, cfg); err == nil {
		t.Fatal("no retry after the create")
	}
	e.restart()
	e.clock.Advance(8 * time.Second)
	e.emu.ResetAudit()
	_, err := e.step(svc, cfg)
	var re *cloudproviderapi.RetryError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "provisioning") {
		t.Fatalf("want a provisioning retry, got %v", err)
	}
	if re.RetryAfter() < 3*time.Second || re.RetryAfter() > maxJobRetry {
		t.Errorf("delay %v: want half the NLB's age", re.RetryAfter())
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("writes %v", w)
	}
	e.converge(svc, cfg)
	if n := len(e.lbs()); n != 1 {
		t.Errorf("%d NLBs", n)
	}
}

// TestNLBBeingDeleted: our NLB being deleted (by hand) makes the reconcile
// wait, then a new NLB is created; a reused one being deleted is refused.
func TestNLBBeingDeleted(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	cfg := e.config(svc, nil)
	first, _ := e.converge(svc, cfg)
	svc.Status.LoadBalancer = *first
	old := e.only()
	del := func(id string) {
		p := sdknlb.CreateUpdateLoadBalancerProtectionRequest()
		p.LoadBalancerId, p.DeletionProtectionEnabled = id, "false"
		if _, err := e.api.UpdateLoadBalancerProtection(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		req := sdknlb.CreateDeleteLoadBalancerRequest()
		req.LoadBalancerId = id
		if _, err := e.api.DeleteLoadBalancer(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	del(old.LoadBalancerId)
	_, err := e.step(svc, cfg)
	var re *cloudproviderapi.RetryError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "being deleted") {
		t.Fatalf("want a retry while ours is deleted, got %v", err)
	}
	st, _ := e.converge(svc, cfg)
	if nw := e.only(); nw.LoadBalancerId == old.LoadBalancerId || st.Ingress[0].Hostname != nw.DNSName {
		t.Errorf("new NLB %s, status %+v", nw.LoadBalancerId, st)
	}
	if evs := e.drainEvents(); !hasEvent(evs, "creating a new NLB") {
		t.Errorf("no Warning about the new address: %v", evs)
	}

	e2 := engineEnv(t, envOpts{seed: func(s *emulator.SeedState) { s.NLBs = []emulator.SeedNLB{seedNLB("nlb-user", "uu", nil)} }})
	del2 := func() { e, e2 = e2, e; del("nlb-user"); e, e2 = e2, e }
	del2()
	_, err = e2.step(svc, e2.config(svc, func(c *annotations.NLBConfig) { c.LB.ReuseID = "nlb-user" }))
	var ru *ReuseError
	if !errors.As(err, &ru) {
		t.Errorf("reused NLB being deleted: %v", err)
	}
}

// TestUpdateLoadBalancerBackendsOnly: the backend-only path makes one
// lookup and no instance read or write; it leaves a missing or
// provisioning NLB to EnsureLoadBalancer; after the Service's delete it
// makes no call at all.
func TestUpdateLoadBalancerBackendsOnly(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	ctx := context.Background()

	e.emu.ResetAudit()
	if err := e.r.UpdateLoadBalancer(ctx, "k", svc, e.nodes); err != nil {
		t.Fatal(err)
	}
	if c := e.calls(); !slices.Equal(c, []string{"ListLoadBalancers", "ListLoadBalancers"}) || len(e.lbs()) != 0 {
		t.Errorf("missing NLB: calls %v", c) // by tags, then by name
	}

	cfg := e.config(svc, nil)
	if _, err := e.step(svc, cfg); err == nil {
		t.Fatal("no retry after the create")
	}
	e.emu.ResetAudit()
	if err := e.r.SyncBackends(ctx, svc, e.nodes); err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("provisioning NLB: writes %v", w)
	}

	e.converge(svc, cfg)
	e.emu.ResetAudit()
	if err := e.r.UpdateLoadBalancer(ctx, "k", svc, e.nodes); err != nil {
		t.Fatal(err)
	}
	for _, c := range e.calls() {
		if strings.Contains(c, "LoadBalancer") && c != "ListLoadBalancers" {
			t.Errorf("instance call %s on the backend-only path", c)
		}
	}
	if e.count("ListLoadBalancers") != 1 {
		t.Errorf("lookups %v", e.calls())
	}

	e.deleted(svc)
	e.emu.ResetAudit()
	if err := e.r.UpdateLoadBalancer(ctx, "k", svc, e.nodes); err != nil || len(e.calls()) != 0 {
		t.Errorf("after the delete: %v, calls %v", err, e.calls())
	}
	// A new EnsureLoadBalancer clears the mark.
	e.converge(svc, cfg)
	if !slices.Contains(e.calls(), "CreateLoadBalancer") {
		t.Error("no NLB after the Service came back")
	}
}

// TestStatus pins the published status per address type and family, and
// the ipMode with PROXY protocol.
func TestStatus(t *testing.T) {
	zone := func(pub, priv, v6 string) sdknlb.ZoneMapping {
		return sdknlb.ZoneMapping{LoadBalancerAddresses: []sdknlb.LoadBalancerAddress{{PublicIPv4Address: pub, PrivateIPv4Address: priv, Ipv6Address: v6}}}
	}
	svc := testService("web", nil)
	on := true
	proxy := &annotations.NLBConfig{Listeners: []annotations.NLBListener{{ProxyProtocol: &on}}}
	cases := []struct {
		name string
		lb   sdknlb.LoadbalancerInfo
		cfg  *annotations.NLBConfig
		want []string
		mode v1.LoadBalancerIPMode
	}{
		{"internet", sdknlb.LoadbalancerInfo{DNSName: "n.nlb.aliyuncs.com", AddressType: "Internet",
			ZoneMappings: []sdknlb.ZoneMapping{zone("39.1.1.1", "10.0.0.1", ""), zone("39.1.1.2", "10.0.1.1", "")}},
			nil, []string{"n.nlb.aliyuncs.com", "39.1.1.1", "39.1.1.2"}, v1.LoadBalancerIPModeVIP},
		{"intranet", sdknlb.LoadbalancerInfo{DNSName: "n.nlb.aliyuncs.com", AddressType: "Intranet",
			ZoneMappings: []sdknlb.ZoneMapping{zone("", "10.0.0.1", ""), zone("", "10.0.1.1", "")}},
			nil, []string{"n.nlb.aliyuncs.com", "10.0.0.1", "10.0.1.1"}, v1.LoadBalancerIPModeVIP},
		{"dual stack, proxy protocol", sdknlb.LoadbalancerInfo{DNSName: "n.nlb.aliyuncs.com", AddressType: "Internet",
			ZoneMappings: []sdknlb.ZoneMapping{zone("39.1.1.1", "10.0.0.1", "2408::1"), zone("39.1.1.1", "", "bad")}},
			proxy, []string{"n.nlb.aliyuncs.com", "39.1.1.1", "2408::1"}, v1.LoadBalancerIPModeProxy},
		{"no addresses yet", sdknlb.LoadbalancerInfo{DNSName: "n.nlb.aliyuncs.com"}, nil, []string{"n.nlb.aliyuncs.com"}, ""},
		{"nothing", sdknlb.LoadbalancerInfo{}, nil, nil, ""},
	}
	for _, tc := range cases {
		st := lbStatus(&tc.lb, tc.cfg, svc)
		var got []string
		for i, in := range st.Ingress {
			if i == 0 && in.Hostname != "" {
				got = append(got, in.Hostname)
				if in.IP != "" || in.IPMode != nil {
					t.Errorf("%s: hostname entry %+v", tc.name, in)
				}
				continue
			}
			got = append(got, in.IP)
			if in.IPMode == nil || *in.IPMode != tc.mode {
				t.Errorf("%s: ipMode %v, want %s", tc.name, in.IPMode, tc.mode)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: status %v, want %v", tc.name, got, tc.want)
		}
	}
	// Without the parsed config (GetLoadBalancer), proxy-protocol is read alone.
	if m := ipMode(testService("p", anno("proxy-protocol", "on")), nil); *m != v1.LoadBalancerIPModeProxy {
		t.Errorf("ipMode from the annotation: %s", *m)
	}
}

// TestClassifyErr pins which errors become retries.
func TestClassifyErr(t *testing.T) {
	busy := &cloudapi.APIError{Code: "Conflict.Lock", HTTPStatus: 400}
	if err := classifyErr("x", busy); !isRetry(err) {
		t.Errorf("busy: %v", err)
	}
	if err := classifyErr("x", &cloudapi.JobsPendingError{Jobs: []string{"j"}}); !isRetry(err) {
		t.Errorf("jobs pending: %v", err)
	}
	plain := errors.New("boom")
	if err := classifyErr("step", plain); isRetry(err) || !errors.Is(err, plain) || !strings.HasPrefix(err.Error(), "step: ") {
		t.Errorf("plain: %v", err)
	}
	retry := cloudproviderapi.NewRetryError("r", time.Second)
	if err := classifyErr("x", retry); !errors.Is(err, retry) {
		t.Errorf("a RetryError is kept as it is: %v", err)
	}
	if classifyErr("x", nil) != nil {
		t.Error("nil")
	}
}
