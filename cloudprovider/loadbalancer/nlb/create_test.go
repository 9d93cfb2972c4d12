package nlb

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// lossyAPI is the real client with two faults a crash or a network cut
// leaves behind: the answer of CreateLoadBalancer is lost after the cloud
// created the NLB, and the listings right after do not show it yet.
type lossyAPI struct {
	API
	loseCreate bool // the next CreateLoadBalancer's answer is lost
	hideLists  int  // this many ListAllLoadBalancers answer nothing
}

var errLost = errors.New("connection reset by peer")

func (l *lossyAPI) CreateLoadBalancer(ctx context.Context, req *sdknlb.CreateLoadBalancerRequest) (*sdknlb.CreateLoadBalancerResponse, error) {
	resp, err := l.API.CreateLoadBalancer(ctx, req)
	if l.loseCreate && err == nil {
		l.loseCreate = false
		return nil, errLost
	}
	return resp, err
}

func (l *lossyAPI) ListAllLoadBalancers(ctx context.Context, req *sdknlb.ListLoadBalancersRequest) ([]sdknlb.LoadbalancerInfo, error) {
	if l.hideLists > 0 {
		l.hideLists--
		return nil, nil
	}
	return l.API.ListAllLoadBalancers(ctx, req)
}

// TestCrashAfterCreate: the CCM dies after CreateLoadBalancer reached the
// cloud but before it saw the answer. After a restart there is one NLB:
// found by its tags, or, when the listing does not show it yet, returned
// again by the cloud for the same ClientToken.
func TestCrashAfterCreate(t *testing.T) {
	cases := []struct {
		name      string
		hideLists int
		creates   int // CreateLoadBalancer calls in all
	}{
		{name: "tags find it", creates: 1},
		{name: "listing lags: the token answers", hideLists: 2, creates: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engineEnv(t, envOpts{})
			svc := testService("web", nil)
			cfg := e.config(svc, nil)
			lossy := &lossyAPI{API: e.api, loseCreate: true}
			e.r.api = lossy
			if _, err := e.step(svc, cfg); !errors.Is(err, errLost) {
				t.Fatalf("want the lost answer, got %v", err)
			}
			e.restart() // the jobs and salts in memory are gone
			lossy.hideLists = tc.hideLists
			e.r.api = lossy
			st, _ := e.converge(svc, cfg)
			if len(st.Ingress) == 0 {
				t.Fatal("no status")
			}
			if n := len(e.lbs()); n != 1 {
				t.Fatalf("%d NLBs, want 1", n)
			}
			if creates := e.count("CreateLoadBalancer"); creates != tc.creates {
				t.Errorf("CreateLoadBalancer calls %d, want %d", creates, tc.creates)
			}
		})
	}
}

// TestFailedCreateJob: the create job fails (the NLB is undone). The next
// reconcile reports the failure once (error and Warning Event naming the
// step and the job), and the one after creates a new NLB with a new
// ClientToken (the cloud answers a used token with its first, failed,
// result).
func TestFailedCreateJob(t *testing.T) {
	e := engineEnv(t, envOpts{faults: &emulator.FaultProfile{JobFailures: []emulator.JobFailureRule{{Match: "CreateLoadBalancer", Count: 1}}}})
	svc := testService("web", nil)
	cfg := e.config(svc, nil)
	var re *cloudproviderapi.RetryError
	if _, err := e.step(svc, cfg); !errors.As(err, &re) {
		t.Fatalf("create: %v", err)
	}
	e.clock.Advance(jobTime)
	_, err := e.step(svc, cfg)
	var jf *cloudapi.JobFailedError
	if !errors.As(err, &jf) || !strings.Contains(err.Error(), "creating the NLB") {
		t.Fatalf("want the failed create job, got %v", err)
	}
	if evs := e.drainEvents(); !hasEvent(evs, loadbalancer.ReasonSyncFailed) || !hasEvent(evs, jf.Job) {
		t.Errorf("events %v", evs)
	}
	if n := len(e.lbs()); n != 0 {
		t.Fatalf("%d NLBs after the failed create", n)
	}
	e.converge(svc, cfg)
	lb := e.only()
	var tokens []string
	for _, a := range e.emu.Audit() {
		if a.Action == "CreateLoadBalancer" {
			tokens = append(tokens, a.Params["ClientToken"])
		}
	}
	if len(tokens) != 2 || tokens[0] == tokens[1] {
		t.Errorf("create tokens %v: want two different ones", tokens)
	}
	if lb.LoadBalancerStatus != "Active" {
		t.Errorf("status %s", lb.LoadBalancerStatus)
	}
}

// TestClientToken: the token is a function of the Service UID, the
// request and the salt; 4 + 40 ASCII characters.
func TestClientToken(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	cfg := e.config(svc, nil)
	req := func() string {
		r, err := e.r.createRequest(context.Background(), svc, cfg, e.nodes)
		if err != nil {
			t.Fatal(err)
		}
		return r.ClientToken
	}
	a, b := req(), req()
	if a != b || !strings.HasPrefix(a, "k8s-") || len(a) != 44 {
		t.Fatalf("tokens %q %q", a, b)
	}
	cfg.LB.Name = "renamed"
	if req() == a {
		t.Error("a changed request kept its token")
	}
	cfg.LB.Name = ""
	e.r.bumpSalt(svc)
	if req() == a {
		t.Error("a new salt kept the token")
	}
	other := testService("api", nil)
	r2, _ := e.r.createRequest(context.Background(), other, cfg, e.nodes)
	if r2.ClientToken == a {
		t.Error("two Services share a token")
	}
}

// TestCreateRequest pins what a new NLB is created with, per annotation.
func TestCreateRequest(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	cases := []struct {
		name  string
		edit  func(*annotations.NLBConfig)
		check func(*sdknlb.CreateLoadBalancerRequest) string
	}{
		{"defaults", nil, func(r *sdknlb.CreateLoadBalancerRequest) string {
			if r.LoadBalancerType != "Network" || r.AddressType != "Internet" || r.AddressIpVersion != "ipv4" || r.VpcId != testVPC ||
				r.LoadBalancerBillingConfig.PayType != "PostPay" || r.DeletionProtectionConfig.Enabled != "true" ||
				r.ModificationProtectionConfig.Status != "ConsoleProtection" || r.ModificationProtectionConfig.Reason == "" ||
				!strings.HasPrefix(r.LoadBalancerName, "a") {
				return "defaults"
			}
			return ""
		}},
		{"intranet dual stack", func(c *annotations.NLBConfig) {
			c.LB.AddressType, c.LB.IPVersion = annotations.AddressTypeIntranet, annotations.DualStack
		}, func(r *sdknlb.CreateLoadBalancerRequest) string {
			if r.AddressType != "Intranet" || r.AddressIpVersion != "DualStack" {
				return r.AddressType + " " + r.AddressIpVersion
			}
			return ""
		}},
		{"name, group, package, no protection", func(c *annotations.NLBConfig) {
			c.LB.Name, c.LB.ResourceGroupID, c.LB.BandwidthPackageID = "web-nlb", "rg-1", "cbwp-1"
			c.LB.DeleteProtection, c.LB.ModificationProtection = false, annotations.NonProtection
		}, func(r *sdknlb.CreateLoadBalancerRequest) string {
			if r.LoadBalancerName != "web-nlb" || r.ResourceGroupId != "rg-1" || r.BandwidthPackageId != "cbwp-1" ||
				r.DeletionProtectionConfig.Enabled != "false" || r.ModificationProtectionConfig.Status != "NonProtection" ||
				r.ModificationProtectionConfig.Reason != "" {
				return "explicit values"
			}
			return ""
		}},
		{"zone-maps with address and EIP", func(c *annotations.NLBConfig) {
			c.LB.ZoneMaps = []annotations.ZoneMap{{ZoneID: testZoneI, VSwitchID: testVSwI, PrivateIPv4: netip.MustParseAddr("192.168.32.50"), EIPAllocationID: "eip-1"},
				{ZoneID: testZoneJ, VSwitchID: testVSwJ}}
		}, func(r *sdknlb.CreateLoadBalancerRequest) string {
			z := *r.ZoneMappings
			if len(z) != 2 || z[0] != (sdknlb.CreateLoadBalancerZoneMappings{ZoneId: testZoneI, VSwitchId: testVSwI, PrivateIPv4Address: "192.168.32.50", AllocationId: "eip-1"}) ||
				z[1].ZoneId != testZoneJ {
				return "zones"
			}
			return ""
		}},
		{"additional tags and the key list", func(c *annotations.NLBConfig) {
			c.LB.AdditionalTags = []annotations.Tag{{Key: "team", Value: "a"}, {Key: "env", Value: "prod"}}
		}, func(r *sdknlb.CreateLoadBalancerRequest) string {
			m := map[string]string{}
			for _, t := range *r.Tag {
				m[t.Key] = t.Value
			}
			if m["team"] != "a" || m["env"] != "prod" || m[loadbalancer.TagAdditionalKeys] != "env,team" || m[loadbalancer.TagServiceUID] == "" {
				return "tags"
			}
			return ""
		}},
	}
	for _, tc := range cases {
		req, err := e.r.createRequest(context.Background(), svc, e.config(svc, tc.edit), e.nodes)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if bad := tc.check(req); bad != "" {
			t.Errorf("%s: wrong %s: %+v", tc.name, bad, req)
		}
	}
	// Without the cluster VPC nothing is created.
	e.r.opts.VpcID = ""
	if _, err := e.r.createRequest(context.Background(), svc, e.config(svc, nil), e.nodes); err == nil || !strings.Contains(err.Error(), "vpcid") {
		t.Errorf("no VPC: %v", err)
	}
}

// TestAPISpelling pins the NLB API's spelling of address types and IP
// versions.
func TestAPISpelling(t *testing.T) {
	if apiAddressType(annotations.AddressTypeIntranet) != "Intranet" || apiAddressType(annotations.AddressTypeInternet) != "Internet" ||
		apiAddressType("") != "Internet" {
		t.Error("address types")
	}
	if apiIPVersion("dualstack") != "DualStack" || apiIPVersion(annotations.IPv4) != "ipv4" || apiIPVersion("") != "ipv4" {
		t.Error("IP versions")
	}
	if got := nonEmpty([]string{"", "a", "", "b"}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("nonEmpty %v", got)
	}
}

// TestCreatedNotListedYet: the create answered, but the listings after it
// do not show the NLB yet: the engine asks for the NLB it was given,
// finds it, and waits instead of creating another.
func TestCreatedNotListedYet(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	cfg := e.config(svc, nil)
	lossy := &lossyAPI{API: e.api}
	e.r.api = lossy
	var re *cloudproviderapi.RetryError
	if _, err := e.step(svc, cfg); !errors.As(err, &re) {
		t.Fatalf("create: %v", err)
	}
	e.clock.Advance(jobTime)
	lossy.hideLists = 2 // tags, then name
	_, err := e.step(svc, cfg)
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "not listed yet") {
		t.Fatalf("want a wait for the listing, got %v", err)
	}
	e.converge(svc, cfg)
	if n := e.count("CreateLoadBalancer"); n != 1 || len(e.lbs()) != 1 {
		t.Errorf("creates %d, NLBs %d", n, len(e.lbs()))
	}
}
