package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// TestNLBTags covers TagResources, UntagResources and ListTagResources on
// load balancers, listeners and server groups.
func TestNLBTags(t *testing.T) {
	_, c := nlbEnv(t)
	lb := mustNLB(t, c)
	g := mustGroupNLB(t, c, "Instance", "TCP", false)
	lr, err := c.CreateListener(tcpListenerReq(lb, g, 80))
	if err != nil {
		t.Fatal(err)
	}
	tag := func(rtype string, ids []string, tags ...nlb.TagResourcesTag) error {
		r := nlb.CreateTagResourcesRequest()
		r.ResourceType, r.ResourceId, r.Tag = rtype, &ids, &tags
		resp, err := c.TagResources(r)
		if err == nil && resp.JobId == "" {
			t.Fatal("TagResources answered no JobId")
		}
		return err
	}
	own := nlb.TagResourcesTag{Key: "kubernetes.do.not.delete", Value: "a1b2"}
	for _, tc := range []struct {
		rtype string
		id    string
	}{{"loadbalancer", lb}, {"listener", lr.ListenerId}, {"servergroup", g}} {
		if err := tag(tc.rtype, []string{tc.id}, own, nlb.TagResourcesTag{Key: "team", Value: "web"}); err != nil {
			t.Fatalf("%s: %v", tc.rtype, err)
		}
	}
	wantErr(t, tag("loadbalancer", []string{"nlb-nope"}, own), "ResourceNotFound.loadBalancer", 404)
	wantErr(t, tag("listener", []string{"lsn-nope@1"}, own), "ResourceNotFound.listener", 404)
	wantErr(t, tag("bucket", []string{lb}, own), "IllegalParam.ResourceType", 400)
	wantErr(t, tag("loadbalancer", nil, own), "MissingParam.ResourceId", 400)

	l := nlb.CreateListTagResourcesRequest()
	l.ResourceType = "servergroup"
	l.Tag = &[]nlb.ListTagResourcesTag{{Key: "kubernetes.do.not.delete", Value: "a1b2"}}
	resp, err := c.ListTagResources(l)
	if err != nil || resp.TotalCount != 2 || resp.TagResources[0].ResourceId != g || resp.TagResources[0].ResourceType != "servergroup" {
		t.Fatalf("ListTagResources: %+v %v", resp, err)
	}
	// The tags show in the resources' own answers too.
	if got := getNLB(t, c, lb).Tags; len(got) != 2 {
		t.Fatalf("NLB tags %+v", got)
	}
	ls := nlb.CreateListServerGroupsRequest()
	ls.Tag = &[]nlb.ListServerGroupsTag{{Key: "team", Value: "web"}}
	if sg, err := c.ListServerGroups(ls); err != nil || sg.TotalCount != 1 {
		t.Fatalf("ListServerGroups by tag: %+v %v", sg, err)
	}

	u := nlb.CreateUntagResourcesRequest()
	u.ResourceType, u.ResourceId, u.TagKey = "loadbalancer", &[]string{lb}, &[]string{"team"}
	if _, err := c.UntagResources(u); err != nil {
		t.Fatal(err)
	}
	u = nlb.CreateUntagResourcesRequest()
	u.ResourceType, u.ResourceId, u.All = "listener", &[]string{lr.ListenerId}, requests.NewBoolean(true)
	if _, err := c.UntagResources(u); err != nil {
		t.Fatal(err)
	}
	u = nlb.CreateUntagResourcesRequest()
	u.ResourceType, u.ResourceId = "servergroup", &[]string{g}
	_, err = c.UntagResources(u)
	wantErr(t, err, "MissingParam.TagKey", 400)
	l = nlb.CreateListTagResourcesRequest()
	l.ResourceType, l.ResourceId = "loadbalancer", &[]string{lb}
	if resp, err := c.ListTagResources(l); err != nil || resp.TotalCount != 1 || resp.TagResources[0].TagKey != "kubernetes.do.not.delete" {
		t.Fatalf("after untag: %+v %v", resp, err)
	}
	l = nlb.CreateListTagResourcesRequest()
	l.ResourceType = "listener"
	if resp, err := c.ListTagResources(l); err != nil || resp.TotalCount != 0 {
		t.Fatalf("listener tags after All: %+v %v", resp, err)
	}
}

// TestNLBSecurityGroups covers LoadBalancerJoinSecurityGroup and
// LoadBalancerLeaveSecurityGroup, their job and their quota, and the
// checks against ECS state: the group exists, is in the NLB's VPC and of
// the type of the groups already joined.
func TestNLBSecurityGroups(t *testing.T) {
	fc := NewFakeClock(time.Now())
	_, tc := sgEnv(t, withJobs(fc, time.Second))
	c := nlbClient(t, tc.Host)
	sg := func() string { return mustSG(t, tc.ECS, testVPC, "") }
	a, b, cc, d, e := sg(), sg(), sg(), sg(), sg()
	other := mustSG(t, tc.ECS, "vpc-other", "")
	ent := mustSG(t, tc.ECS, testVPC, "enterprise")
	lb := mustNLB(t, c)
	fc.Advance(time.Second)
	join := func(ids ...string) (*nlb.LoadBalancerJoinSecurityGroupResponse, error) {
		r := nlb.CreateLoadBalancerJoinSecurityGroupRequest()
		r.LoadBalancerId, r.SecurityGroupIds = lb, &ids
		return c.LoadBalancerJoinSecurityGroup(r)
	}
	leave := func(ids ...string) error {
		r := nlb.CreateLoadBalancerLeaveSecurityGroupRequest()
		r.LoadBalancerId, r.SecurityGroupIds = lb, &ids
		_, err := c.LoadBalancerLeaveSecurityGroup(r)
		return err
	}
	jr, err := join(a, b)
	if err != nil {
		t.Fatal(err)
	}
	_, err = join(cc)
	wantErr(t, err, "ResourceInConfiguring.loadbalancer", 400)
	fc.Advance(time.Second)
	if jobStatus(t, c, jr.JobId) != "Succeeded" {
		t.Fatal("join job still running")
	}
	if got := getNLB(t, c, lb).SecurityGroupIds; strings.Join(got, ",") != a+","+b {
		t.Fatalf("security groups %v", got)
	}
	_, err = join(cc, d, e)
	wantErr(t, err, "QuotaExceeded.QuotaInsufficient", 400)
	_, err = join("sg-unknown")
	wantErr(t, err, "ResourceNotFound.SecurityGroup", 404)
	_, err = join(other)
	wantErr(t, err, "OperationDenied.SecurityGroupVpcMismatch", 400)
	_, err = join(ent)
	wantErr(t, err, "OperationDenied.SecurityGroupTypeMismatch", 400)
	wantErr(t, leave("sg-unknown"), "ResourceNotFound.SecurityGroup", 404)
	if err := leave(a, cc); err != nil { // cc is not joined: nothing happens to it
		t.Fatal(err)
	}
	fc.Advance(time.Second)
	if got := getNLB(t, c, lb).SecurityGroupIds; strings.Join(got, ",") != b {
		t.Fatalf("security groups %v", got)
	}
}

// TestNLBStateAuditAndFaults: NLB resources show in GET /state, calls in
// the audit counters, and the fault profile applies to the Nlb product.
func TestNLBStateAuditAndFaults(t *testing.T) {
	e, c := nlbEnv(t)
	lb := mustNLB(t, c)
	g := mustGroupNLB(t, c, "Instance", "TCP", false)
	if _, err := c.CreateListener(tcpListenerReq(lb, g, 80)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.ControlHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/state")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var st struct {
		NLB struct {
			LoadBalancers []struct {
				LoadBalancer struct {
					LoadBalancerID     string `json:"LoadBalancerId"`
					LoadBalancerStatus string
				}
				Listeners []struct {
					ListenerID    string `json:"ListenerId"`
					ServerGroupID string `json:"ServerGroupId"`
				}
			}
			ServerGroups []struct {
				ServerGroup struct {
					ServerGroupID string `json:"ServerGroupId"`
				}
			}
		}
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.NLB.LoadBalancers) != 1 || st.NLB.LoadBalancers[0].LoadBalancer.LoadBalancerID != lb ||
		st.NLB.LoadBalancers[0].LoadBalancer.LoadBalancerStatus != "Active" || len(st.NLB.LoadBalancers[0].Listeners) != 1 ||
		st.NLB.LoadBalancers[0].Listeners[0].ServerGroupID != g || len(st.NLB.ServerGroups) != 1 {
		t.Fatalf("state: %s", body)
	}
	if n := e.CallCount("Nlb.CreateListener", "OK"); n != 1 {
		t.Fatalf("audit: %d CreateListener", n)
	}
	e.SetFaults(FaultProfile{Errors: []ErrorRule{{Match: "Nlb.ListLoadBalancers", Code: "SystemBusy", Count: 1}}})
	_, err = c.ListLoadBalancers(nlb.CreateListLoadBalancersRequest())
	wantErr(t, err, "SystemBusy", 400)
	if _, err := c.ListLoadBalancers(nlb.CreateListLoadBalancersRequest()); err != nil {
		t.Fatal(err)
	}
}

// TestNLBSeed loads someone else's NLB, listener and server group through
// SeedState (as POST /seed does): they are idle at once, keep their IDs and
// validate like API calls.
func TestNLBSeed(t *testing.T) {
	e, c := nlbEnv(t, withJobs(NewFakeClock(time.Now()), time.Minute))
	w := 30
	err := e.Seed(SeedState{
		NLBServerGroups: []SeedNLBServerGroup{{ServerGroupID: "sgp-foreign", Name: "theirs", VpcID: testVPC,
			Servers: []SeedNLBServer{{ServerID: testInst2, Type: "Ecs", Port: 30080, Weight: &w}}, Tags: []Tag{{Key: "owner", Value: "other"}}}},
		NLBs: []SeedNLB{{LoadBalancerID: "nlb-foreign", Name: "theirs", VpcID: testVPC, DeletionProtection: true,
			Zones:     []SeedNLBZone{{ZoneID: "cn-hangzhou-h", VSwitchID: testVSWH}, {ZoneID: "cn-hangzhou-i", VSwitchID: testVSWI, AllocationID: "eip-free1"}},
			Listeners: []SeedNLBListener{{Protocol: "TCP", Port: 443, ServerGroupID: "sgp-foreign", Description: "theirs.443"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	g := getNLB(t, c, "nlb-foreign")
	if g.LoadBalancerStatus != "Active" || !g.DeletionProtectionConfig.Enabled || g.ZoneMappings[1].LoadBalancerAddresses[0].PublicIPv4Address != "47.1.1.1" {
		t.Fatalf("seeded NLB: %+v", g)
	}
	lr, err := c.ListListeners(nlb.CreateListListenersRequest())
	if err != nil || lr.TotalCount != 1 || lr.Listeners[0].ListenerStatus != "Running" || lr.Listeners[0].ServerGroupId != "sgp-foreign" {
		t.Fatalf("seeded listener: %+v %v", lr, err)
	}
	if got := groupServers(t, c, "sgp-foreign"); len(got) != 1 || got[0].Weight != 30 {
		t.Fatalf("seeded members: %+v", got)
	}
	err = e.Seed(SeedState{NLBs: []SeedNLB{{Name: "bad", VpcID: testVPC, Zones: []SeedNLBZone{{ZoneID: "cn-hangzhou-h", VSwitchID: testVSWH}}}}})
	if err == nil || !strings.Contains(err.Error(), "InvalidZones") {
		t.Fatalf("one-zone seed: %v", err)
	}
}
