package nlb

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
)

// TestLifecycle: a new Service gets one NLB, created with our tags, the
// zones of its nodes, delete and console protection, in Provisioning until
// the create job ends (RetryError meanwhile, no other write); its status
// is the DNS name plus the addresses; a second reconcile writes nothing;
// GetLoadBalancer sees it; the delete turns protection off and deletes it.
func TestLifecycle(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	cfg := e.config(svc, nil)

	_, err := e.step(svc, cfg)
	var re *cloudproviderapi.RetryError
	if !errors.As(err, &re) {
		t.Fatalf("first reconcile: want a RetryError while the NLB provisions, got %v", err)
	}
	if w := e.writes(); !slices.Equal(w, []string{"CreateLoadBalancer"}) {
		t.Fatalf("writes of the first reconcile: %v", w)
	}
	lb := e.only()
	if lb.LoadBalancerStatus != "Provisioning" {
		t.Errorf("status %s, want Provisioning", lb.LoadBalancerStatus)
	}
	tags := nlbTagMap(lb.Tags)
	for k, v := range map[string]string{loadbalancer.TagClusterID: testCluster, loadbalancer.TagServiceUID: string(svc.UID),
		loadbalancer.TagService: "default/web", loadbalancer.TagOfficialOwner: e.r.GetLoadBalancerName(context.Background(), "", svc)} {
		if tags[k] != v {
			t.Errorf("tag %s=%q, want %q", k, tags[k], v)
		}
	}
	if !lb.DeletionProtectionConfig.Enabled || lb.ModificationProtectionConfig.Status != "ConsoleProtection" {
		t.Errorf("protection: delete %v, modification %s", lb.DeletionProtectionConfig.Enabled, lb.ModificationProtectionConfig.Status)
	}
	if lb.AddressType != "Internet" || lb.AddressIpVersion != "ipv4" || lb.VpcId != testVPC {
		t.Errorf("address %s %s vpc %s", lb.AddressType, lb.AddressIpVersion, lb.VpcId)
	}
	var zones []string
	for _, z := range lb.ZoneMappings {
		zones = append(zones, z.ZoneId+":"+z.VSwitchId)
	}
	slices.Sort(zones)
	if !slices.Equal(zones, []string{testZoneH + ":" + testVSwH, testZoneI + ":" + testVSwI}) {
		t.Errorf("zones %v", zones)
	}

	// While the job runs: one job check, nothing else.
	e.emu.ResetAudit()
	if _, err := e.step(svc, cfg); !errors.As(err, &re) {
		t.Fatalf("reconcile during provisioning: %v", err)
	}
	if c := e.calls(); !slices.Equal(c, []string{"GetJobStatus"}) {
		t.Errorf("calls while provisioning: %v", c)
	}

	st, _ := e.converge(svc, cfg)
	if len(st.Ingress) < 2 || !strings.Contains(st.Ingress[0].Hostname, ".nlb.aliyuncs") {
		t.Fatalf("status %+v", st.Ingress)
	}
	for _, in := range st.Ingress[1:] {
		if in.IP == "" || in.IPMode == nil || *in.IPMode != v1.LoadBalancerIPModeVIP {
			t.Errorf("address entry %+v", in)
		}
	}

	e.emu.ResetAudit()
	if _, err := e.step(svc, cfg); err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("no-op reconcile wrote %v", w)
	}
	// One NLB lookup, then the port level's reads: listeners, the
	// Service's server groups, the members of each.
	if c := e.calls(); !slices.Equal(c, []string{"ListLoadBalancers", "ListListeners", "ListServerGroups", "ListServerGroupServers"}) {
		t.Errorf("no-op reconcile calls %v", c)
	}

	got, exists, err := e.r.GetLoadBalancer(context.Background(), "k", svc)
	if err != nil || !exists || got.Ingress[0].Hostname != st.Ingress[0].Hostname {
		t.Fatalf("GetLoadBalancer: %+v %v %v", got, exists, err)
	}

	e.emu.ResetAudit()
	e.deleted(svc)
	if w := e.writes(); !slices.Equal(w, []string{"DeleteListener", "DeleteServerGroup", "UpdateLoadBalancerProtection", "DeleteLoadBalancer"}) {
		t.Errorf("delete writes %v", w)
	}
	e.clock.Advance(jobTime)
	if lbs := e.lbs(); len(lbs) != 0 {
		t.Errorf("NLBs left: %d", len(lbs))
	}
	if _, exists, err := e.r.GetLoadBalancer(context.Background(), "k", svc); exists || err != nil {
		t.Errorf("GetLoadBalancer after delete: %v %v", exists, err)
	}
	// A second delete (the NLB is gone) ends at once.
	e.deleted(svc)
}
