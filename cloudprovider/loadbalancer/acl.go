package loadbalancer

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
)

// Per-call and paging limits of the ACL actions (alibaba-api.md §1.5):
// "at most 50 IP entries ... in each call"; DescribeAccessControlListAttribute
// pages entries with PageSize at most 50.
const (
	aclEntriesPerCall = 50
	aclPageSize       = 50
)

// aclName is the name of the ACL that carries a Service's
// spec.loadBalancerSourceRanges. Names are unique per region, so the name
// (with our cluster and the Service) proves the ACL is ours; an ACL named
// by the acl-id annotation is the user's and is never changed.
func (r *Reconciler) aclName(svc *v1.Service) string {
	return keyFor(svc, r.opts.ClusterID, 0).groupName()
}

// aclState is our source-ranges ACL, if it exists.
type aclState struct {
	id      string
	entries map[string]bool
}

// findACL returns our ACL, or nil. hint is an ACL ID bound to one of our
// listeners: reading it first proves ownership and gives the entries in
// one call, the steady-state cost.
func (r *Reconciler) findACL(ctx context.Context, svc *v1.Service, hint string) (*aclState, error) {
	name := r.aclName(svc)
	if hint != "" {
		st, aclName, err := r.readACL(ctx, hint)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		if err == nil && aclName == name {
			return st, nil
		}
	}
	req := slb.CreateDescribeAccessControlListsRequest()
	req.AclName = name
	req.PageSize = requests.NewInteger(50)
	resp, err := r.slb.DescribeAccessControlLists(ctx, req)
	if err != nil {
		return nil, classifyErr("finding the source-ranges ACL", err)
	}
	for _, a := range resp.Acls.Acl {
		if a.AclName == name { // the filter is fuzzy
			st, _, err := r.readACL(ctx, a.AclId)
			return st, err
		}
	}
	return nil, nil
}

// readACL reads an ACL's name and entries, following the entry pages.
func (r *Reconciler) readACL(ctx context.Context, id string) (*aclState, string, error) {
	st := &aclState{id: id, entries: map[string]bool{}}
	name := ""
	for page := 1; page <= 20; page++ {
		req := slb.CreateDescribeAccessControlListAttributeRequest()
		req.AclId, req.Page, req.PageSize = id, requests.NewInteger(page), requests.NewInteger(aclPageSize)
		resp, err := r.slb.DescribeAccessControlListAttribute(ctx, req)
		if err != nil {
			return nil, "", classifyErr("reading ACL "+id, err)
		}
		name = resp.AclName
		for _, e := range resp.AclEntrys.AclEntry {
			st.entries[e.AclEntryIP] = true
		}
		if len(resp.AclEntrys.AclEntry) < aclPageSize || len(st.entries) >= resp.TotalAclEntry {
			break
		}
	}
	return st, name, nil
}

// ensureACL makes our ACL hold exactly the source ranges and returns its ID.
func (r *Reconciler) ensureACL(ctx context.Context, svc *v1.Service, st *aclState, ranges []string) (string, error) {
	if st == nil {
		req := slb.CreateCreateAccessControlListRequest()
		req.AclName = r.aclName(svc)
		req.Tag = &[]slb.CreateAccessControlListTag{
			{Key: TagClusterID, Value: r.opts.ClusterID}, {Key: TagServiceUID, Value: string(svc.UID)}}
		resp, err := r.slb.CreateAccessControlList(ctx, req)
		if err != nil {
			return "", classifyErr("creating the source-ranges ACL", err)
		}
		st = &aclState{id: resp.AclId, entries: map[string]bool{}}
	}
	want := map[string]bool{}
	var add, remove []string
	for _, c := range ranges {
		want[c] = true
		if !st.entries[c] {
			add = append(add, c)
		}
	}
	for e := range st.entries {
		if !want[e] {
			remove = append(remove, e)
		}
	}
	sort.Strings(add)
	sort.Strings(remove)
	for i := 0; i < len(add); i += aclEntriesPerCall {
		req := slb.CreateAddAccessControlListEntryRequest()
		req.AclId, req.AclEntrys = st.id, aclEntries(add[i:min(i+aclEntriesPerCall, len(add))], svc)
		if _, err := r.slb.AddAccessControlListEntry(ctx, req); err != nil {
			return "", classifyErr("adding source ranges to ACL "+st.id, err)
		}
	}
	for i := 0; i < len(remove); i += aclEntriesPerCall {
		req := slb.CreateRemoveAccessControlListEntryRequest()
		req.AclId, req.AclEntrys = st.id, aclEntries(remove[i:min(i+aclEntriesPerCall, len(remove))], svc)
		if _, err := r.slb.RemoveAccessControlListEntry(ctx, req); err != nil {
			return "", classifyErr("removing source ranges from ACL "+st.id, err)
		}
	}
	return st.id, nil
}

// deleteACL deletes our ACL once no listener uses it.
func (r *Reconciler) deleteACL(ctx context.Context, id string) error {
	req := slb.CreateDeleteAccessControlListRequest()
	req.AclId = id
	if _, err := r.slb.DeleteAccessControlList(ctx, req); err != nil && !isNotFound(err) {
		return classifyErr("deleting ACL "+id, err)
	}
	return nil
}

// aclEntries renders AclEntrys: [{"entry":"10.0.0.0/8","comment":"..."}].
func aclEntries(cidrs []string, svc *v1.Service) string {
	items := make([]map[string]string, 0, len(cidrs))
	for _, c := range cidrs {
		items = append(items, map[string]string{"entry": c, "comment": "loadBalancerSourceRanges"})
	}
	out, _ := json.Marshal(items)
	return string(out)
}
