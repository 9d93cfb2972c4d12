package loadbalancer

import (
	"context"
	"encoding/json"
	"slices"
	"sort"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
)

// Per-call and paging limits of the ACL actions: "at most 50 IP entries
// ... in each call" (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-addaccesscontrollistentry); DescribeAccessControlListAttribute
// pages entries with PageSize at most 50.
const (
	aclEntriesPerCall = 50
	aclPageSize       = 50
)

// aclName is the name of the ACL that carries a Service's
// spec.loadBalancerSourceRanges. The name is for humans only: ACL names
// are unique per region and anyone may create an ACL with this name, so
// ownership is proven by the ACL's tags (aclOwned), never by the name. An
// ACL named by the acl-id annotation is the user's and is never changed.
func (r *Reconciler) aclName(svc *v1.Service) string {
	return aclSafeName(keyFor(svc, r.opts.ClusterID, 0).groupName())
}

// aclAltName is the name our ACL is created with when aclName is taken by
// an ACL that is not ours: derived from the Service UID, so it is stable
// across restarts and does not collide with another Service's.
func (r *Reconciler) aclAltName(svc *v1.Service) string {
	return aclSafeName("k8s-acl/" + string(svc.UID) + "/" + r.opts.ClusterID)
}

// aclSafeName fits a name to AclName's rules (CreateAccessControlList
// page: 1-80 characters, letters, digits, ".", "-", "/" and "_"): other
// characters (the "~" of shortened keys, ":" or "@" of a cluster ID)
// become "_". Only humans read the name, so nothing needs to parse it.
func aclSafeName(n string) string {
	b := []byte(n[:min(len(n), maxGroupNameLen)])
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '/', c == '_':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

// aclTags are the ownership tags written on our ACL at creation. They are
// sent in CreateAccessControlList's Tag.N, so an ACL is never created
// untagged: a crash cannot leave an ACL of ours that the lookup by tag
// does not find (and a restart would duplicate).
func (r *Reconciler) aclTags(svc *v1.Service) []slb.CreateAccessControlListTag {
	return []slb.CreateAccessControlListTag{{Key: TagClusterID, Value: r.opts.ClusterID}, {Key: TagServiceUID, Value: string(svc.UID)}}
}

// aclOwned reports whether an ACL's tags prove it is svc's in this
// cluster: its Service UID tag is svc's and its cluster tag one of ours
// (the legacy default included: the UID tag proves it).
func (r *Reconciler) aclOwned(tags map[string]string, svc *v1.Service) bool {
	return tags[TagServiceUID] == string(svc.UID) && slices.Contains(r.ids(true), tags[TagClusterID])
}

// aclState is our source-ranges ACL, if it exists.
type aclState struct {
	id      string
	entries map[string]bool
}

// maxACLPages bounds the ACL list paging (50 per page; the quota is 200
// per account), so a misbehaving API cannot loop us forever.
const maxACLPages = 100

// findACL returns our ACL, or nil. hint is an ACL ID bound to one of our
// listeners: reading it first proves ownership (its tags) and gives the
// entries in one call, the steady-state cost.
func (r *Reconciler) findACL(ctx context.Context, svc *v1.Service, hint string) (*aclState, error) {
	if hint != "" {
		st, tags, err := r.readACL(ctx, hint)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		if err == nil && r.aclOwned(tags, svc) {
			return st, nil
		}
	}
	ids, err := r.ourACLs(ctx, svc)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	st, _, err := r.readACL(ctx, ids[0])
	return st, err
}

// ourACLs lists the IDs of the ACLs whose tags prove they are svc's,
// oldest first, reading every page. The Tag filter is checked again on
// the answer: ownership must not rest on the server-side filter alone.
// It filters by the Service UID only, so ACLs written under a legacy
// cluster ID are found too (aclOwned checks the cluster tag).
func (r *Reconciler) ourACLs(ctx context.Context, svc *v1.Service) ([]string, error) {
	var ids []string
	for page := 1; page <= maxACLPages; page++ {
		req := slb.CreateDescribeAccessControlListsRequest()
		req.Tag = &[]slb.DescribeAccessControlListsTag{{Key: TagServiceUID, Value: string(svc.UID)}}
		req.PageNumber, req.PageSize = requests.NewInteger(page), requests.NewInteger(aclPageSize)
		resp, err := r.slb.DescribeAccessControlLists(ctx, req)
		if err != nil {
			return nil, classifyErr("finding the source-ranges ACL by its ownership tags", err)
		}
		for _, a := range resp.Acls.Acl {
			if r.aclOwned(tagMap(a.Tags.Tag), svc) {
				ids = append(ids, a.AclId)
			}
		}
		if len(resp.Acls.Acl) < aclPageSize || page*aclPageSize >= resp.TotalCount {
			break
		}
	}
	return ids, nil
}

// aclNameTaken reports whether an ACL with exactly this name exists. The
// AclName filter is a partial match, so every page is read.
func (r *Reconciler) aclNameTaken(ctx context.Context, name string) (string, error) {
	for page := 1; page <= maxACLPages; page++ {
		req := slb.CreateDescribeAccessControlListsRequest()
		req.AclName = name
		req.PageNumber, req.PageSize = requests.NewInteger(page), requests.NewInteger(aclPageSize)
		resp, err := r.slb.DescribeAccessControlLists(ctx, req)
		if err != nil {
			return "", classifyErr("looking up ACL name "+name, err)
		}
		for _, a := range resp.Acls.Acl {
			if a.AclName == name {
				return a.AclId, nil
			}
		}
		if len(resp.Acls.Acl) < aclPageSize || page*aclPageSize >= resp.TotalCount {
			break
		}
	}
	return "", nil
}

// readACL reads an ACL's entries and tags, following the entry pages.
func (r *Reconciler) readACL(ctx context.Context, id string) (*aclState, map[string]string, error) {
	st := &aclState{id: id, entries: map[string]bool{}}
	var tags map[string]string
	for page := 1; page <= 20; page++ {
		req := slb.CreateDescribeAccessControlListAttributeRequest()
		req.AclId, req.Page, req.PageSize = id, requests.NewInteger(page), requests.NewInteger(aclPageSize)
		resp, err := r.slb.DescribeAccessControlListAttribute(ctx, req)
		if err != nil {
			return nil, nil, classifyErr("reading ACL "+id, err)
		}
		tags = tagMap(resp.Tags.Tag)
		for _, e := range resp.AclEntrys.AclEntry {
			st.entries[e.AclEntryIP] = true
		}
		if len(resp.AclEntrys.AclEntry) < aclPageSize || len(st.entries) >= resp.TotalAclEntry {
			break
		}
	}
	return st, tags, nil
}

// createACL creates our ACL, tagged in the same call. When another ACL
// (not ours: the lookup by tag did not find it) already has our name, it
// is left alone, a Warning says so, and ours gets aclAltName.
func (r *Reconciler) createACL(ctx context.Context, svc *v1.Service) (*aclState, error) {
	name := r.aclName(svc)
	other, err := r.aclNameTaken(ctx, name)
	if err != nil {
		return nil, err
	}
	if other != "" {
		alt := r.aclAltName(svc)
		r.events.Eventf(svc, v1.EventTypeWarning, ReasonAnnotationWarning,
			"ACL %s is named %s but its tags do not prove it belongs to this Service; it is left untouched and the source ranges go to a new ACL named %s",
			other, name, alt)
		name = alt
	}
	req := slb.CreateCreateAccessControlListRequest()
	req.AclName = name
	tags := r.aclTags(svc)
	req.Tag = &tags
	resp, err := r.slb.CreateAccessControlList(ctx, req)
	if err != nil {
		return nil, classifyErr("creating the source-ranges ACL "+name, err)
	}
	return &aclState{id: resp.AclId, entries: map[string]bool{}}, nil
}

// ensureACL makes our ACL hold exactly the source ranges and returns its ID.
func (r *Reconciler) ensureACL(ctx context.Context, svc *v1.Service, st *aclState, ranges []string) (string, error) {
	if st == nil {
		var err error
		if st, err = r.createACL(ctx, svc); err != nil {
			return "", err
		}
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
		req.AclId, req.AclEntrys = st.id, aclEntries(add[i:min(i+aclEntriesPerCall, len(add))])
		if _, err := r.slb.AddAccessControlListEntry(ctx, req); err != nil {
			return "", classifyErr("adding source ranges to ACL "+st.id, err)
		}
	}
	for i := 0; i < len(remove); i += aclEntriesPerCall {
		req := slb.CreateRemoveAccessControlListEntryRequest()
		req.AclId, req.AclEntrys = st.id, aclEntries(remove[i:min(i+aclEntriesPerCall, len(remove))])
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
func aclEntries(cidrs []string) string {
	items := make([]map[string]string, 0, len(cidrs))
	for _, c := range cidrs {
		items = append(items, map[string]string{"entry": c, "comment": "loadBalancerSourceRanges"})
	}
	out, _ := json.Marshal(items)
	return string(out)
}
