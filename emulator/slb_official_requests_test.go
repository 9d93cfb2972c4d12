package emulator

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// TestOfficialCCMRequestsAccepted sends requests the way the official CCM
// sends them in production and expects the cloud's answer: BackendServers
// keys in lower camel case, AclId with several ACLs, MaxResult above 100.
func TestOfficialCCMRequestsAccepted(t *testing.T) {
	e, tc := newTestEmulator(t)
	seedBasic(t, e)
	c := tc.SLB
	lb := mustLB(t, c, "o")

	t.Run("BackendServers keys in any case", func(t *testing.T) {
		cr := slb.CreateCreateVServerGroupRequest()
		cr.LoadBalancerId, cr.VServerGroupName = lb, "k8s/30080/svc/ns/c1"
		cr.BackendServers = beJSON(be{"serverId": testInst1, "port": 30080, "weight": 50, "type": "ecs", "description": "d"})
		resp, err := c.CreateVServerGroup(cr)
		if err != nil {
			t.Fatalf("CreateVServerGroup: %v", err)
		}
		g := resp.VServerGroupId
		if err := addMembers(c, g, be{"serverId": testInst2, "serverIp": "", "port": "30080", "weight": "60", "type": "ecs"}); err != nil {
			t.Fatalf("AddVServerGroupBackendServers: %v", err)
		}
		s := slb.CreateSetVServerGroupAttributeRequest()
		s.VServerGroupId, s.BackendServers = g, beJSON(be{"SERVERID": testInst2, "PORT": 30080, "WEIGHT": 7})
		if _, err := c.SetVServerGroupAttribute(s); err != nil {
			t.Fatalf("SetVServerGroupAttribute: %v", err)
		}
		m := slb.CreateModifyVServerGroupBackendServersRequest()
		m.VServerGroupId = g
		m.OldBackendServers = beJSON(be{"serverId": testInst1, "port": 30080})
		m.NewBackendServers = beJSON(be{"serverId": testInst3, "port": 30080, "weight": 9})
		if _, err := c.ModifyVServerGroupBackendServers(m); err != nil {
			t.Fatalf("ModifyVServerGroupBackendServers: %v", err)
		}
		ms := groupMembers(t, c, g)
		if len(ms) != 2 || ms[0].ServerId != testInst2 || ms[0].Weight != 7 || ms[1].ServerId != testInst3 || ms[1].Weight != 9 {
			t.Fatalf("members: %+v", ms)
		}
		rm := slb.CreateRemoveVServerGroupBackendServersRequest()
		rm.VServerGroupId, rm.BackendServers = g, beJSON(be{"serverId": testInst2, "port": 30080}, be{"serverId": testInst3, "port": 30080})
		if _, err := c.RemoveVServerGroupBackendServers(rm); err != nil {
			t.Fatalf("RemoveVServerGroupBackendServers: %v", err)
		}
		if ms := groupMembers(t, c, g); len(ms) != 0 {
			t.Fatalf("members after remove: %+v", ms)
		}
		// Still strict where documentation and cloud agree.
		err = addMembers(c, g, be{"serverid": testInst1, "port": 0})
		wantErr(t, err, "InvalidPort", 400)
	})

	t.Run("several AclIds on a listener", func(t *testing.T) {
		a1, a2 := mustACL(t, c, "a1"), mustACL(t, c, "a2")
		r := tcpListener(lb, 81)
		r.AclStatus, r.AclId, r.AclType = "on", a1+","+a2, "white"
		if _, err := c.CreateLoadBalancerTCPListener(r); err != nil {
			t.Fatalf("create with two ACLs: %v", err)
		}
		d := slb.CreateDescribeLoadBalancerListenersRequest()
		d.LoadBalancerId = &[]string{lb}
		resp, err := c.DescribeLoadBalancerListeners(d)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, l := range resp.Listeners {
			if l.ListenerPort == 81 {
				ids = l.AclIds
			}
		}
		if len(ids) != 2 || ids[0] != a1 || ids[1] != a2 {
			t.Fatalf("AclIds = %v", ids)
		}
		// An ACL in use by the listener cannot be deleted.
		del := slb.CreateDeleteAccessControlListRequest()
		del.AclId = a2
		_, err = c.DeleteAccessControlList(del)
		wantErr(t, err, "OperationFailed.AclBindedWithVip", 400)
		r = tcpListener(lb, 82)
		r.AclStatus, r.AclId, r.AclType = "on", a1+",acl-missing", "white"
		_, err = c.CreateLoadBalancerTCPListener(r)
		wantErr(t, err, "AclNotExist", 400)
	})

	t.Run("DescribeRouteEntryList MaxResult 500", func(t *testing.T) {
		req := vpc.CreateDescribeRouteEntryListRequest()
		req.RouteTableId, req.MaxResult, req.RouteEntryType = testVTB, requests.NewInteger(500), "System"
		if _, err := tc.VPC.DescribeRouteEntryList(req); err != nil {
			t.Fatalf("MaxResult=500: %v", err)
		}
		req.MaxResult = requests.NewInteger(0)
		_, err := tc.VPC.DescribeRouteEntryList(req)
		wantErr(t, err, "InvalidMaxResult", 400)
	})
}
