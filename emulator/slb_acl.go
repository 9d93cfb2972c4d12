package emulator

// CLB access control lists. Doc pages:
// https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-<action-lowercase>
// (createaccesscontrollist, addaccesscontrollistentry, ...).

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// aclByID finds an ACL or answers AclNotExist.
func (s *slbState) aclByID(c *call) (*acl, error) {
	id, err := c.required("AclId")
	if err != nil {
		return nil, err
	}
	a, ok := s.acls[id]
	if !ok {
		return nil, errACLNotFound()
	}
	return a, nil
}

// validACLName: 1-80 characters; letters, digits, ".", "-", "/", "_".
func validACLName(n string) bool {
	if len(n) < 1 || len(n) > 80 {
		return false
	}
	for _, r := range n {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r > 127 || strings.ContainsRune(".-/_", r)
		if !ok {
			return false
		}
	}
	return true
}

// slbCreateAccessControlList creates an ACL. Names are unique per region
// (CreateAccessControlList page); no code is documented for a duplicate, we
// answer InvalidParameter. The ACL quota (200 per account on the limits
// page, 50 per region in the API description: the docs disagree) comes
// from Limits.ACLsPerAccount: AclNumberOverLimit.
func slbCreateAccessControlList(c *call) (any, error) {
	s := c.e.slb
	name, err := c.required("AclName")
	if err != nil {
		return nil, err
	}
	if !validACLName(name) {
		return nil, errInvalid("AclName", name)
	}
	for _, a := range s.acls {
		if a.Name == name {
			return nil, Errf(http.StatusBadRequest, "InvalidParameter", "The specified AclName %s already exists.", name)
		}
	}
	ver := c.str("AddressIPVersion")
	switch ver {
	case "":
		ver = "ipv4"
	case "ipv4", "ipv6":
	default:
		return nil, errInvalid("AddressIPVersion", ver)
	}
	tags := c.tags()
	if err := validateTags(tags, c.e.cfg.Limits.TagsPerResource); err != nil {
		return nil, err
	}
	if len(s.acls) >= c.e.cfg.Limits.ACLsPerAccount {
		return nil, Errf(http.StatusBadRequest, "AclNumberOverLimit", "The Acl number has reached to the max quota limit.")
	}
	a := &acl{ID: c.e.nextID("acl-"), Name: name, IPVersion: ver, ResourceGroup: orDefault(c.str("ResourceGroupId"), "rg-default"),
		Created: c.Now, Tags: tags, seq: s.nextSeq()}
	s.acls[a.ID] = a
	return &slb.CreateAccessControlListResponse{AclId: a.ID}, nil
}

// aclUsers lists the listeners that reference an ACL.
func (s *slbState) aclUsers(id string) []*listener {
	var out []*listener
	for _, lb := range s.order {
		for _, l := range sortedListeners(lb) {
			if slices.Contains(listenerACLs(l.attrs), id) {
				out = append(out, l)
			}
		}
	}
	return out
}

// slbDeleteAccessControlList deletes an ACL "only if it is not associated
// with a listener" (OperationFailed.AclBindedWithVip).
func slbDeleteAccessControlList(c *call) (any, error) {
	s := c.e.slb
	a, err := s.aclByID(c)
	if err != nil {
		return nil, err
	}
	if len(s.aclUsers(a.ID)) > 0 {
		return nil, Errf(http.StatusBadRequest, "OperationFailed.AclBindedWithVip", "The ACL has binded with vip.")
	}
	delete(s.acls, a.ID)
	return &slbEmpty{}, nil
}

// parseACLEntries reads AclEntrys: [{"entry":"10.0.10.0/24","comment":"..."}].
func parseACLEntries(c *call, a *acl) ([]aclEntry, error) {
	raw, err := c.required("AclEntrys")
	if err != nil {
		return nil, err
	}
	var in []aclEntry
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return nil, Errf(http.StatusBadRequest, "AclEntryIllegal", "The AclEntrys %q is not valid JSON.", raw)
	}
	for i, e := range in {
		p, err := netip.ParsePrefix(e.Entry)
		if err != nil {
			ip, ierr := netip.ParseAddr(e.Entry)
			if ierr != nil {
				return nil, Errf(http.StatusBadRequest, "InvalidEntry", "The entry %s is invalid.", e.Entry)
			}
			p = netip.PrefixFrom(ip, ip.BitLen())
		}
		if (p.Addr().Is4() && a.IPVersion == "ipv6") || (!p.Addr().Is4() && a.IPVersion == "ipv4") {
			return nil, Errf(http.StatusBadRequest, "IllegalEntry", "Entry version is conflict to the acl version.")
		}
		if len(e.Comment) > 100 {
			return nil, Errf(http.StatusBadRequest, "InvalidParam.Comment", "The comment of entry %s is invalid.", e.Entry)
		}
		in[i].Entry = p.Masked().String()
	}
	return in, nil
}

// slbAddAccessControlListEntry adds up to 50 entries per call, 300 per ACL
// (AclEntryExceedLimit); an entry already present answers
// InvalidParam.AclEntryExists.
func slbAddAccessControlListEntry(c *call) (any, error) {
	s := c.e.slb
	a, err := s.aclByID(c)
	if err != nil {
		return nil, err
	}
	add, err := parseACLEntries(c, a)
	if err != nil {
		return nil, err
	}
	lim := c.e.cfg.Limits
	if len(add) > lim.EntriesPerACLCall || len(a.Entries)+len(add) > lim.EntriesPerACL {
		return nil, Errf(http.StatusBadRequest, "AclEntryExceedLimit", "The maximum number of ACL entries is exceeded.")
	}
	have := map[string]bool{}
	for _, e := range a.Entries {
		have[e.Entry] = true
	}
	for _, e := range add {
		if have[e.Entry] {
			return nil, Errf(http.StatusBadRequest, "InvalidParam.AclEntryExists", "The specified aclEntry already exists in the acl.")
		}
		have[e.Entry] = true
	}
	a.Entries = append(a.Entries, add...)
	return &slbEmpty{}, nil
}

// slbRemoveAccessControlListEntry removes entries; absent ones are ignored
// (the page documents no error for them).
func slbRemoveAccessControlListEntry(c *call) (any, error) {
	s := c.e.slb
	a, err := s.aclByID(c)
	if err != nil {
		return nil, err
	}
	del, err := parseACLEntries(c, a)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, e := range del {
		drop[e.Entry] = true
	}
	kept := a.Entries[:0:0]
	for _, e := range a.Entries {
		if !drop[e.Entry] {
			kept = append(kept, e)
		}
	}
	a.Entries = kept
	return &slbEmpty{}, nil
}

// slbDescribeAccessControlLists lists ACLs: AclName is a fuzzy match;
// PageNumber default 1, PageSize 1-50 default 10.
func slbDescribeAccessControlLists(c *call) (any, error) {
	s := c.e.slb
	num, err := c.integer("PageNumber", 1)
	if err != nil || num < 1 {
		return nil, errInvalid("PageNumber", c.str("PageNumber"))
	}
	size, err := c.integer("PageSize", 10)
	if err != nil || size < 1 || size > 50 {
		return nil, errInvalid("PageSize", c.str("PageSize"))
	}
	name, ver, rg, want := c.str("AclName"), c.str("AddressIPVersion"), c.str("ResourceGroupId"), c.tags()
	var all []*acl
	for _, a := range sortedACLs(s) {
		if (name == "" || strings.Contains(a.Name, name)) && (ver == "" || a.IPVersion == ver) &&
			(rg == "" || a.ResourceGroup == rg) && matchTags(a.Tags, want) {
			all = append(all, a)
		}
	}
	start := min((num-1)*size, len(all))
	page := all[start:min(start+size, len(all))]
	r := &slb.DescribeAccessControlListsResponse{PageNumber: num, PageSize: size, TotalCount: len(all), Count: len(page)}
	r.Acls.Acl = make([]slb.Acl, 0, len(page))
	for _, a := range page {
		r.Acls.Acl = append(r.Acls.Acl, slb.Acl{AclId: a.ID, AclName: a.Name, AddressIPVersion: a.IPVersion, ResourceGroupId: a.ResourceGroup,
			CreateTime: a.Created.UTC().Format(clbTimeLayout), Tags: slb.TagsInDescribeAccessControlLists{Tag: tagView(a.Tags)}})
	}
	return r, nil
}

// slbDescribeAccessControlListAttribute answers an ACL with its entries
// (filtered by AclEntryComment, paged by Page/PageSize: max 50, default 10)
// and the listeners using it.
func slbDescribeAccessControlListAttribute(c *call) (any, error) {
	s := c.e.slb
	a, err := s.aclByID(c)
	if err != nil {
		return nil, err
	}
	var entries []aclEntry
	comment := c.str("AclEntryComment")
	for _, e := range a.Entries {
		if comment == "" || e.Comment == comment {
			entries = append(entries, e)
		}
	}
	page, size := 1, len(entries)
	if c.has("Page") || c.has("PageSize") {
		var err1, err2 error
		page, err1 = c.integer("Page", 1)
		size, err2 = c.integer("PageSize", 10)
		if err1 != nil || page < 1 {
			return nil, errInvalid("Page", c.str("Page"))
		}
		if err2 != nil || size < 1 || size > 50 {
			return nil, errInvalid("PageSize", c.str("PageSize"))
		}
	}
	start := min((page-1)*size, len(entries))
	r := &slb.DescribeAccessControlListAttributeResponse{AclId: a.ID, AclName: a.Name, AddressIPVersion: a.IPVersion,
		ResourceGroupId: a.ResourceGroup, CreateTime: a.Created.UTC().Format(clbTimeLayout), TotalAclEntry: len(entries),
		Tags: slb.TagsInDescribeAccessControlListAttribute{Tag: tagView(a.Tags)}}
	r.AclEntrys.AclEntry = []slb.AclEntry{}
	for _, e := range entries[start:min(start+size, len(entries))] {
		r.AclEntrys.AclEntry = append(r.AclEntrys.AclEntry, slb.AclEntry{AclEntryIP: e.Entry, AclEntryComment: e.Comment})
	}
	r.RelatedListeners.RelatedListener = []slb.RelatedListener{}
	for _, l := range s.aclUsers(a.ID) {
		r.RelatedListeners.RelatedListener = append(r.RelatedListeners.RelatedListener,
			slb.RelatedListener{LoadBalancerId: l.lbID, ListenerPort: l.port, Protocol: l.proto, AclType: l.attrs["AclType"]})
	}
	return r, nil
}
