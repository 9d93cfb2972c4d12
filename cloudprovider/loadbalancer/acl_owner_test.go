package loadbalancer

import (
	"context"
	"fmt"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// createACL makes an ACL directly through the SDK, as a user or another
// tool would, with one entry and the given tags.
func (e *env) createACL(name, entry string, tags map[string]string) string {
	e.t.Helper()
	req := slb.CreateCreateAccessControlListRequest()
	req.AclName = name
	var ts []slb.CreateAccessControlListTag
	for k, v := range tags {
		ts = append(ts, slb.CreateAccessControlListTag{Key: k, Value: v})
	}
	if len(ts) > 0 {
		req.Tag = &ts
	}
	resp, err := e.slb.CreateAccessControlList(context.Background(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	if entry != "" {
		add := slb.CreateAddAccessControlListEntryRequest()
		add.AclId, add.AclEntrys = resp.AclId, fmt.Sprintf(`[{"entry":%q}]`, entry)
		if _, err := e.slb.AddAccessControlListEntry(context.Background(), add); err != nil {
			e.t.Fatal(err)
		}
	}
	return resp.AclId
}

// aclInfo reads an ACL's entries and tags directly through the SDK.
func (e *env) aclInfo(id string) (map[string]bool, map[string]string, error) {
	req := slb.CreateDescribeAccessControlListAttributeRequest()
	req.AclId = id
	resp, err := e.slb.DescribeAccessControlListAttribute(context.Background(), req)
	if err != nil {
		return nil, nil, err
	}
	entries := map[string]bool{}
	for _, a := range resp.AclEntrys.AclEntry {
		entries[a.AclEntryIP] = true
	}
	return entries, tagMap(resp.Tags.Tag), nil
}

// An ACL that merely has our ACL's name (someone else's, or another
// Service's after a name reuse) is not ours: its tags do not name this
// cluster and this Service UID. It must never be changed, bound or
// deleted; a Warning says so and our own ACL gets another name.
func TestSameNamedACLWithoutOurTagsIsNeverTouched(t *testing.T) {
	for _, tc := range []struct {
		name string
		tags map[string]string
	}{
		{"untagged", nil},
		{"another Service's", map[string]string{TagClusterID: testCluster, TagServiceUID: "uid-other"}},
		{"another cluster's", map[string]string{TagClusterID: "c-other", TagServiceUID: "uid-web-0000-1111-2222"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			svc := service("web", nil)
			svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
			foreign := e.createACL(e.r.aclName(svc), "1.2.3.4/32", tc.tags)
			e.ensure(svc)
			e.restart() // the lookup must not depend on memory
			e.ensure(svc)
			l := e.listeners(e.lbs()[0].LoadBalancerId)[0]
			if len(l.AclIds) != 1 || l.AclIds[0] == foreign {
				t.Fatalf("listener ACLs = %v, want ours, not %s", l.AclIds, foreign)
			}
			ours := l.AclIds[0]
			entries, tags, err := e.aclInfo(ours)
			if err != nil || tags[TagServiceUID] != string(svc.UID) || tags[TagClusterID] != testCluster || !entries["10.0.0.0/8"] {
				t.Errorf("our ACL %v tags %v: %v", entries, tags, err)
			}
			if !e.sawEventWith(ReasonAnnotationWarning, foreign, "left untouched") {
				t.Error("no Warning about the same-named ACL")
			}
			if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
				t.Fatal(err)
			}
			entries, _, err = e.aclInfo(foreign)
			if err != nil || len(entries) != 1 || !entries["1.2.3.4/32"] {
				t.Errorf("the same-named ACL was changed or deleted: %v %v", entries, err)
			}
			if _, _, err := e.aclInfo(ours); err == nil {
				t.Error("our ACL not deleted")
			}
		})
	}
}

// The ACL lookup reads every page: with more than a page of ACLs whose
// names contain ours (the AclName filter is a partial match), a restarted
// CCM must still find our ACL (on delete, with no listener to hint at it)
// rather than leak it.
func TestACLLookupReadsEveryPage(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	for i := 0; i < aclPageSize+5; i++ {
		e.createACL(fmt.Sprintf("%s-%02d", e.r.aclName(svc), i), "", map[string]string{TagClusterID: testCluster, TagServiceUID: fmt.Sprintf("uid-%d", i)})
	}
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
	e.ensure(svc)
	e.restart()
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "172.16.0.0/12"}
	if _, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes); err != nil {
		t.Fatalf("resync after restart: %v", err)
	}
	if n := e.emu.CallCount("CreateAccessControlList", ""); n != aclPageSize+5+1 {
		t.Errorf("CreateAccessControlList called %d times, want one of ours", n-aclPageSize-5)
	}
	ours := e.listeners(e.lbs()[0].LoadBalancerId)[0].AclIds
	e.restart()
	if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.aclInfo(ours[0]); err == nil {
		t.Errorf("our ACL %s left behind", ours[0])
	}
}
