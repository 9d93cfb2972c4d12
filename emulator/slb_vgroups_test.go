package emulator

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// be is a BackendServers JSON entry.
type be map[string]any

func beJSON(list ...be) string {
	b, _ := json.Marshal(list)
	return string(b)
}

// mustGroup creates a vServer group (optionally with members) and returns its ID.
func mustGroup(t testing.TB, c *slb.Client, lb string, members []be) string {
	t.Helper()
	r := slb.CreateCreateVServerGroupRequest()
	r.LoadBalancerId, r.VServerGroupName = lb, "g"
	if members != nil {
		r.BackendServers = beJSON(members...)
	}
	resp, err := c.CreateVServerGroup(r)
	if err != nil {
		t.Fatalf("CreateVServerGroup: %v", err)
	}
	return resp.VServerGroupId
}

func mustACL(t testing.TB, c *slb.Client, name string) string {
	t.Helper()
	r := slb.CreateCreateAccessControlListRequest()
	r.AclName = name
	resp, err := c.CreateAccessControlList(r)
	if err != nil {
		t.Fatalf("CreateAccessControlList: %v", err)
	}
	return resp.AclId
}

func groupMembers(t testing.TB, c *slb.Client, g string) []slb.BackendServerInDescribeVServerGroupAttribute {
	t.Helper()
	r := slb.CreateDescribeVServerGroupAttributeRequest()
	r.VServerGroupId = g
	resp, err := c.DescribeVServerGroupAttribute(r)
	if err != nil {
		t.Fatalf("DescribeVServerGroupAttribute: %v", err)
	}
	return resp.BackendServers.BackendServer
}

func addMembers(c *slb.Client, g string, members ...be) error {
	r := slb.CreateAddVServerGroupBackendServersRequest()
	r.VServerGroupId, r.BackendServers = g, beJSON(members...)
	_, err := c.AddVServerGroupBackendServers(r)
	return err
}

func TestSLBBackendValidation(t *testing.T) {
	e, c := slbEnv(t)
	if err := e.Seed(SeedState{
		VPCs:      []VPC{{VpcID: "vpc-other", CidrBlock: "10.0.0.0/16", VRouterID: "vrt-o"}},
		VSwitches: []VSwitch{{VSwitchID: "vsw-o", VpcID: "vpc-other", ZoneID: "cn-hangzhou-h", CidrBlock: "10.0.0.0/24"}},
		Instances: []Instance{
			{InstanceID: "i-other", VSwitchID: "vsw-o", PrivateIP: "10.0.0.5"},
			{InstanceID: "i-stopped", VSwitchID: testVSWH, PrivateIP: "192.168.0.50", Status: "Stopped"},
		},
		ENIs: []ENI{{NetworkInterfaceID: "eni-pod", VpcID: testVPC, VSwitchID: testVSWH, PrimaryIP: "192.168.0.60", SecondaryIPs: []string{"192.168.0.61"}}},
	}); err != nil {
		t.Fatal(err)
	}
	lb := mustLB(t, c, "v")
	g := mustGroup(t, c, lb, nil)
	var many []be
	for i := 0; i < 21; i++ {
		many = append(many, be{"ServerId": testInst1, "Port": 1000 + i})
	}
	tests := []struct {
		name   string
		list   []be
		code   string
		status int
	}{
		{"ecs", []be{{"ServerId": testInst1, "Port": "80", "Weight": "50"}}, "", 0},
		{"ecs numbers and type", []be{{"ServerId": testInst2, "Port": 80, "Weight": 100, "Type": "ecs", "Description": "n2"}}, "", 0},
		{"eni secondary ip", []be{{"ServerId": "eni-pod", "Type": "eni", "ServerIp": "192.168.0.61", "Port": 8080}}, "", 0},
		{"eci", []be{{"ServerId": "eci-1", "Type": "eci", "ServerIp": "192.168.3.3", "Port": 8080}}, "", 0},
		{"re-add is idempotent", []be{{"ServerId": testInst1, "Port": "80", "Weight": "60"}}, "", 0},
		{"unknown ecs", []be{{"ServerId": "i-nope", "Port": 80}}, "InvalidServerId.NotExist", 400},
		{"stopped ecs", []be{{"ServerId": "i-stopped", "Port": 80}}, "ObtainIpFail", 400},
		{"other vpc", []be{{"ServerId": "i-other", "Port": 80}}, "NetworkConflict", 400},
		{"eci outside vpc", []be{{"ServerId": "eci-2", "Type": "eci", "ServerIp": "10.0.0.9", "Port": 80}}, "NetworkConflict", 400},
		{"unknown eni", []be{{"ServerId": "eni-nope", "Type": "eni", "ServerIp": "192.168.0.9", "Port": 80}}, "ResourceNotFound.vServers", 404},
		{"foreign eni ip", []be{{"ServerId": "eni-pod", "Type": "eni", "ServerIp": "192.168.0.62", "Port": 80}}, "InvalidParameter", 400},
		{"eni without ip", []be{{"ServerId": "eni-pod", "Type": "eni", "Port": 80}}, "MissingServerIp", 400},
		{"bad type", []be{{"ServerId": testInst1, "Type": "vm", "Port": 80}}, "BackendServer.InvalidType", 400},
		{"bad weight", []be{{"ServerId": testInst1, "Port": 81, "Weight": 101}}, "InvalidWeight", 400},
		{"bad port", []be{{"ServerId": testInst1, "Port": 0}}, "InvalidPort", 400},
		{"duplicate in call", []be{{"ServerId": testInst3, "Port": 80}, {"ServerId": testInst3, "Port": 80}}, "InvalidParameter", 400},
		{"21 per call", many, "TooManyBackendServers", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := addMembers(c, g, tt.list...)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tt.code, tt.status)
		})
	}
	ms := groupMembers(t, c, g)
	if len(ms) != 4 || ms[0].ServerId != testInst1 || ms[0].Weight != 60 || ms[0].ServerIp != "192.168.0.11" ||
		ms[1].Description != "n2" || ms[2].Type != "eni" || ms[2].ServerIp != "192.168.0.61" || ms[0].VpcId != testVPC {
		t.Fatalf("members: %+v", ms)
	}
	_, err := c.AddVServerGroupBackendServers(&slb.AddVServerGroupBackendServersRequest{RpcRequest: slb.CreateAddVServerGroupBackendServersRequest().RpcRequest,
		VServerGroupId: "rsp-nope", BackendServers: beJSON(be{"ServerId": testInst1, "Port": 80})})
	wantErr(t, err, "InvalidParameter", 404)

	// An internet CLB (outside any VPC) keeps all members in one VPC.
	r := newLBReq("inet")
	r.AddressType, r.VSwitchId, r.VpcId = "internet", "", ""
	inet, err := c.CreateLoadBalancer(r)
	if err != nil {
		t.Fatal(err)
	}
	ig := mustGroup(t, c, inet.LoadBalancerId, []be{{"ServerId": testInst1, "Port": 80}})
	err = addMembers(c, ig, be{"ServerId": "i-other", "Port": 80})
	wantErr(t, err, "InvalidBackendServers.Inconsistent", 400)
}

func TestSLBVServerGroupLifecycle(t *testing.T) {
	_, c := slbEnv(t)
	lb := mustLB(t, c, "v")
	g := mustGroup(t, c, lb, []be{{"ServerId": testInst1, "Port": 80}, {"ServerId": testInst2, "Port": 80}})

	// Set: rename and reweigh members; non-members are refused.
	s := slb.CreateSetVServerGroupAttributeRequest()
	s.VServerGroupId = g
	_, err := c.SetVServerGroupAttribute(s)
	wantErr(t, err, "MissingParameter", 400)
	s.VServerGroupName, s.BackendServers = "web", beJSON(be{"ServerId": testInst2, "Port": 80, "Weight": 0})
	if _, err := c.SetVServerGroupAttribute(s); err != nil {
		t.Fatal(err)
	}
	s.BackendServers = beJSON(be{"ServerId": testInst3, "Port": 80, "Weight": 5})
	_, err = c.SetVServerGroupAttribute(s)
	wantErr(t, err, "InvalidParameter", 400)

	// Modify swaps old for new.
	m := slb.CreateModifyVServerGroupBackendServersRequest()
	m.VServerGroupId = g
	m.OldBackendServers = beJSON(be{"ServerId": testInst1, "Port": 80})
	m.NewBackendServers = beJSON(be{"ServerId": testInst3, "Port": 8080, "Weight": 7})
	mr, err := c.ModifyVServerGroupBackendServers(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(mr.BackendServers.BackendServer) != 2 {
		t.Fatalf("modify answer: %+v", mr.BackendServers)
	}
	ms := groupMembers(t, c, g)
	if len(ms) != 2 || ms[0].ServerId != testInst2 || ms[0].Weight != 0 || ms[1].ServerId != testInst3 || ms[1].Port != 8080 || ms[1].Weight != 7 {
		t.Fatalf("after modify: %+v", ms)
	}
	// Remove ignores absent members.
	rm := slb.CreateRemoveVServerGroupBackendServersRequest()
	rm.VServerGroupId = g
	rm.BackendServers = beJSON(be{"ServerId": testInst2, "Port": 80}, be{"ServerId": testInst1, "Port": 9999})
	rr, err := c.RemoveVServerGroupBackendServers(rm)
	if err != nil || len(rr.BackendServers.BackendServer) != 1 {
		t.Fatalf("remove: %+v %v", rr, err)
	}
	// ServerId filter of DescribeLoadBalancers sees vServer group members.
	d := slb.CreateDescribeLoadBalancersRequest()
	d.ServerId = testInst3
	if resp, err := c.DescribeLoadBalancers(d); err != nil || resp.TotalCount != 1 {
		t.Fatalf("ServerId filter: %v %v", resp, err)
	}
	// A listener using the group blocks its deletion.
	l := tcpListener(lb, 80)
	l.VServerGroupId, l.BackendServerPort = g, ""
	if _, err := c.CreateLoadBalancerTCPListener(l); err != nil {
		t.Fatal(err)
	}
	dg := slb.CreateDescribeVServerGroupsRequest()
	dg.LoadBalancerId, dg.IncludeListener = lb, requests.NewBoolean(true)
	gs, err := c.DescribeVServerGroups(dg)
	if err != nil || len(gs.VServerGroups.VServerGroup) != 1 || gs.VServerGroups.VServerGroup[0].VServerGroupName != "web" ||
		gs.VServerGroups.VServerGroup[0].ServerCount != 1 || len(gs.VServerGroups.VServerGroup[0].AssociatedObjects.Listeners.Listener) != 1 {
		t.Fatalf("groups: %+v %v", gs, err)
	}
	del := slb.CreateDeleteVServerGroupRequest()
	del.VServerGroupId = g
	_, err = c.DeleteVServerGroup(del)
	wantErr(t, err, "RspoolVipExist", 400)
	// Switching the listener off the group (VServerGroup=off) needs a BackendServerPort.
	sl := slb.CreateSetLoadBalancerTCPListenerAttributeRequest()
	sl.LoadBalancerId, sl.ListenerPort, sl.VServerGroup = lb, requests.NewInteger(80), "off"
	_, err = c.SetLoadBalancerTCPListenerAttribute(sl)
	wantErr(t, err, "OperationFailed.ServerGroupInUse", 400)
	ld := slb.CreateDeleteLoadBalancerListenerRequest()
	ld.LoadBalancerId, ld.ListenerPort = lb, requests.NewInteger(80)
	if _, err := c.DeleteLoadBalancerListener(ld); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteVServerGroup(del); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteVServerGroup(del)
	wantErr(t, err, "InvalidParameter", 404)
}

func TestSLBBackendQuotasAndCascade(t *testing.T) {
	_, c := slbEnv(t, func(cfg *Config) {
		cfg.Limits = DefaultLimits()
		cfg.Limits.BackendsPerLB, cfg.Limits.GroupsPerServer = 3, 2
	})
	lb := mustLB(t, c, "q")
	g1 := mustGroup(t, c, lb, []be{{"ServerId": testInst1, "Port": 80}, {"ServerId": testInst1, "Port": 81}})
	err := addMembers(c, g1, be{"ServerId": testInst2, "Port": 80}, be{"ServerId": testInst3, "Port": 80})
	wantErr(t, err, "InstanceBackendServerNumberOverLimit", 400)
	// testInst1 is in g1; a second group is fine, a third is over the quota.
	lb2 := mustLB(t, c, "q2")
	mustGroup(t, c, lb2, []be{{"ServerId": testInst1, "Port": 80}})
	lb3 := mustLB(t, c, "q3")
	g3 := mustGroup(t, c, lb3, nil)
	err = addMembers(c, g3, be{"ServerId": testInst1, "Port": 80})
	wantErr(t, err, "BackendServerAttachedNumberOverLimit", 400)

	// Deleting a CLB deletes its listeners and groups and frees the attachments.
	l := tcpListener(lb, 80)
	l.VServerGroupId = g1
	if _, err := c.CreateLoadBalancerTCPListener(l); err != nil {
		t.Fatal(err)
	}
	del := slb.CreateDeleteLoadBalancerRequest()
	del.LoadBalancerId = lb
	if _, err := c.DeleteLoadBalancer(del); err != nil {
		t.Fatal(err)
	}
	r := slb.CreateDescribeVServerGroupAttributeRequest()
	r.VServerGroupId = g1
	_, err = c.DescribeVServerGroupAttribute(r)
	wantErr(t, err, "InvalidParameter", 404)
	dl := slb.CreateDescribeLoadBalancerListenersRequest()
	if resp, err := c.DescribeLoadBalancerListeners(dl); err != nil || resp.TotalCount != 0 {
		t.Fatalf("listeners survive: %v %v", resp, err)
	}
	if err := addMembers(c, g3, be{"ServerId": testInst1, "Port": 80}); err != nil {
		t.Fatalf("attachment not freed: %v", err)
	}
	lt := slb.CreateListTagResourcesRequest()
	lt.ResourceType, lt.ResourceId = "vservergroup", &[]string{g1}
	if resp, err := c.ListTagResources(lt); err != nil || len(resp.TagResources.TagResource) != 0 {
		t.Fatalf("tags survive: %v %v", resp, err)
	}
	_ = fmt.Sprint
}
