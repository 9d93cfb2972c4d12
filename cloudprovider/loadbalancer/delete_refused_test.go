package loadbalancer

import (
	"context"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// A reused CLB that someone tags after we reused it is refused from then
// on, yet our listeners, our vServer groups, our members of the user's
// groups and our ACL on it are still ours: deleting the Service removes
// exactly those. The CLB, its tags and the user's objects stay.
func TestDeleteCleansOursFromNowRefusedReusedCLB(t *testing.T) {
	for _, tc := range []struct {
		name       string
		tag        emulator.Tag
		vgroupPort bool
	}{
		{"ACK cluster tag", emulator.Tag{Key: TagOfficialCluster, Value: "c-other"}, false},
		{"another Service's tag", emulator.Tag{Key: TagServiceUID, Value: "uid-other"}, false},
		{"official owner tag, vgroup-port", emulator.Tag{Key: TagOfficialOwner, Value: "a-other"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users-clb",
				VServerGroups: []emulator.SeedVServerGroup{{VServerGroupID: "rsp-user", Name: "user-group",
					Backends: []emulator.SeedBackend{{ServerID: "i-node0000", Port: 9999}}}},
				Listeners: []emulator.SeedListener{{Protocol: "tcp", Port: 443, VServerGroup: "user-group", Attributes: map[string]string{"Description": "console"}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			a := anno("id", id, annoOverride, "true")
			if tc.vgroupPort {
				a[annoPrefix+"vgroup-port"] = "rsp-user:80"
			}
			svc := service("web", a)
			svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
			e.ensure(svc)
			var aclID string
			for _, l := range e.listeners(id) {
				if l.ListenerPort == 80 {
					aclID = l.AclIds[0]
				}
			}
			if aclID == "" {
				t.Fatal("no listener of ours with an ACL")
			}
			tag := slb.CreateTagResourcesRequest()
			tag.ResourceType, tag.ResourceId = "instance", &[]string{id}
			tag.Tag = &[]slb.TagResourcesTag{{Key: tc.tag.Key, Value: tc.tag.Value}}
			if _, err := e.slb.TagResources(context.Background(), tag); err != nil {
				t.Fatal(err)
			}
			if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
				t.Fatalf("EnsureLoadBalancerDeleted: %v", err)
			}
			lb := e.lb(id) // still there
			if tags := tagMap(lb.Tags.Tag); len(tags) != 1 || tags[tc.tag.Key] != tc.tag.Value {
				t.Errorf("the refused CLB's tags changed: %v", tags)
			}
			if ls := e.listeners(id); len(ls) != 1 || ls[0].Description != "console" {
				t.Errorf("listeners left: %v, want only the user's", ls)
			}
			m := e.groupMembers(id)
			if len(m) != 1 || len(m["user-group"]) != 1 || m["user-group"][0].Port != 9999 {
				t.Errorf("groups left: %v, want only the user's with its one member", m)
			}
			if _, _, err := e.aclInfo(aclID); err == nil {
				t.Errorf("our ACL %s not deleted", aclID)
			}
		})
	}
}
