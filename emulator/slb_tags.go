package emulator

// CLB tags: TagResources, UntagResources, ListTagResources and the tag
// validation shared with the Create* actions that accept Tag.N.
// Docs: https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-tagresources
// (and -untagresources, -listtagresources).

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// tagPageSize is ListTagResources' page size; its page
// (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-listtagresources)
// does not state it, 50 is our choice.
const tagPageSize = 50

// maxTagResourceIDs is the documented ResourceId.N limit of the tag APIs (20).
const maxTagResourceIDs = 20

// validateTags checks Tag.N pairs as TagResources documents them: at most
// limit pairs (SizeLimitExceeded.Tag), key 1-64 characters without the
// "aliyun"/"acs:" prefixes or "http://"/"https://", value at most 128
// characters, no duplicate keys (Duplicate.TagKey).
func validateTags(tags []Tag, limit int) error {
	if len(tags) > limit {
		return Errf(http.StatusBadRequest, "SizeLimitExceeded.Tag", "The maximum size of Tag is exceeded.")
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		k := t.Key
		switch {
		case k == "":
			return Errf(http.StatusBadRequest, "MissingParam.TagKey", "The param TagKey is missing.")
		case len(k) > 64 || strings.HasPrefix(k, "aliyun") || strings.HasPrefix(k, "acs:") ||
			strings.Contains(k, "http://") || strings.Contains(k, "https://"):
			return Errf(http.StatusBadRequest, "InvalidParam.TagKey", "The param TagKey %q is invalid.", k)
		case len(t.Value) > 128 || strings.Contains(t.Value, "http://") || strings.Contains(t.Value, "https://"):
			return Errf(http.StatusBadRequest, "InvalidParam.TagValue", "The param TagValue %q is invalid.", t.Value)
		case seen[k]:
			return Errf(http.StatusBadRequest, "Duplicate.TagKey", "The param TagKey has duplicate value.")
		}
		seen[k] = true
	}
	return nil
}

// mergeTags sets tags on a resource, overwriting values of existing keys; a
// resource holds at most limit tags ("You can add at most 20 tags to each
// instance. ... an error message is returned": QuotaLimitExceeds).
func mergeTags(have, add []Tag, limit int) ([]Tag, error) {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		found := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value, found = t.Value, true
				break
			}
		}
		if !found {
			out = append(out, t)
		}
	}
	if len(out) > limit {
		return nil, Errf(http.StatusBadRequest, "QuotaLimitExceeds", "The number of tags on the resource exceeds %d.", limit)
	}
	return out, nil
}

// tagView renders tags as the SDK's Tag{TagKey,TagValue}; never nil so
// that JSON shows [] rather than null.
func tagView(tags []Tag) []slb.Tag {
	out := make([]slb.Tag, len(tags))
	for i, t := range tags {
		out[i] = slb.Tag{TagKey: t.Key, TagValue: t.Value}
	}
	return out
}

// matchTags reports whether have carries every wanted pair; a wanted pair
// with an empty value matches any value of its key.
func matchTags(have, want []Tag) bool {
	for _, w := range want {
		ok := false
		for _, h := range have {
			if h.Key == w.Key && (w.Value == "" || h.Value == w.Value) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// tagTarget is one taggable resource.
type tagTarget struct {
	id   string
	tags *[]Tag
}

// tagTargetByID resolves a resource of a TagResources ResourceType.
func (s *slbState) tagTargetByID(e *Emulator, rtype, id string) (tagTarget, bool) {
	switch rtype {
	case "instance":
		if lb, ok := s.lbs[id]; ok {
			return tagTarget{id, &lb.Tags}, true
		}
	case "listener":
		if l := s.listenerByResourceID(id); l != nil {
			return tagTarget{id, &l.tags}, true
		}
	case "vservergroup":
		if g, ok := s.groups[id]; ok {
			return tagTarget{id, &g.Tags}, true
		}
	case "acl":
		if a, ok := s.acls[id]; ok {
			return tagTarget{id, &a.Tags}, true
		}
	case "certificate":
		if _, ok := e.slb.serverCerts[id]; ok {
			return tagTarget{id, &s.certMetaFor(id).Tags}, true
		}
	}
	return tagTarget{}, false
}

// allTagTargets lists every resource of a type in a stable order.
func (s *slbState) allTagTargets(e *Emulator, rtype string) []tagTarget {
	var out []tagTarget
	switch rtype {
	case "instance":
		for _, lb := range s.order {
			out = append(out, tagTarget{lb.ID, &lb.Tags})
		}
	case "listener":
		for _, lb := range s.order {
			for _, l := range sortedListeners(lb) {
				out = append(out, tagTarget{l.resourceID(), &l.tags})
			}
		}
	case "vservergroup":
		for _, lb := range s.order {
			for _, g := range sortedGroups(lb) {
				out = append(out, tagTarget{g.ID, &g.Tags})
			}
		}
	case "acl":
		for _, a := range sortedACLs(s) {
			out = append(out, tagTarget{a.ID, &a.Tags})
		}
	case "certificate":
		for _, id := range sortedKeys(e.slb.serverCerts) {
			out = append(out, tagTarget{id, &s.certMetaFor(id).Tags})
		}
	}
	return out
}

// listenerByResourceID parses "<LoadBalancerId>_<protocol>_<port>".
func (s *slbState) listenerByResourceID(id string) *listener {
	i := strings.LastIndexByte(id, '_')
	if i < 0 {
		return nil
	}
	port, err := strconv.Atoi(id[i+1:])
	if err != nil {
		return nil
	}
	j := strings.LastIndexByte(id[:i], '_')
	if j < 0 {
		return nil
	}
	lb, ok := s.lbs[id[:j]]
	if !ok {
		return nil
	}
	return lb.listeners[listenerKey{port, id[j+1 : i]}]
}

// resourceTypeOf validates ResourceType (InvalidParam.ResourceType).
func resourceTypeOf(c *call) (string, error) {
	rt, err := c.required("ResourceType")
	if err != nil {
		return "", err
	}
	switch rt {
	case "instance", "certificate", "acl", "listener", "vservergroup", "masterslaveservergroup":
		return rt, nil
	}
	return "", Errf(http.StatusBadRequest, "InvalidParam.ResourceType", "The specified ResourceType is invalid.")
}

// resourceIDs reads ResourceId.N (MissingParam.ResourceId, SizeLimitExceeded.ResourceId).
func resourceIDs(c *call, required bool) ([]string, error) {
	ids := c.list("ResourceId")
	if len(ids) == 0 && required {
		return nil, Errf(http.StatusBadRequest, "MissingParam.ResourceId", "The parameter ResourceId is required.")
	}
	if len(ids) > maxTagResourceIDs {
		return nil, Errf(http.StatusBadRequest, "SizeLimitExceeded.ResourceId", "The maximum size of ResourceId is exceeded.")
	}
	return ids, nil
}

// resolveTargets finds every listed resource or answers ResourceNotExist.
func (s *slbState) resolveTargets(c *call, rtype string, ids []string) ([]tagTarget, error) {
	out := make([]tagTarget, 0, len(ids))
	for _, id := range ids {
		t, ok := s.tagTargetByID(c.e, rtype, id)
		if !ok {
			return nil, Errf(http.StatusBadRequest, "ResourceNotExist", "The resource %s of type %s does not exist.", id, rtype)
		}
		out = append(out, t)
	}
	return out, nil
}

// slbTagResources adds or overwrites tags on up to 20 resources; all-or-nothing.
func slbTagResources(c *call) (any, error) {
	s := c.e.slb
	rtype, ids, err := tagRequestTarget(c, true)
	if err != nil {
		return nil, err
	}
	tags := c.tags()
	if len(tags) == 0 {
		return nil, Errf(http.StatusBadRequest, "MissingParam.TagKey", "The param TagKey is missing.")
	}
	if err := validateTags(tags, c.e.cfg.Limits.TagsPerResource); err != nil {
		return nil, err
	}
	targets, err := s.resolveTargets(c, rtype, ids)
	if err != nil {
		return nil, err
	}
	merged := make([][]Tag, len(targets))
	for i, t := range targets {
		if merged[i], err = mergeTags(*t.tags, tags, c.e.cfg.Limits.TagsPerResource); err != nil {
			return nil, err
		}
	}
	for i, t := range targets {
		*t.tags = merged[i]
	}
	return &slb.TagResourcesResponse{}, nil
}

// tagRequestTarget reads the ResourceType and ResourceId.N every tag action takes;
// idsRequired is false for ListTagResources, which may filter by Tag.N only.
func tagRequestTarget(c *call, idsRequired bool) (string, []string, error) {
	rtype, err := resourceTypeOf(c)
	if err != nil {
		return "", nil, err
	}
	ids, err := resourceIDs(c, idsRequired)
	if err != nil {
		return "", nil, err
	}
	return rtype, ids, nil
}

// slbUntagResources removes the TagKey.N keys, or every tag when no key is
// given ("All"; the doc: if TagKey.N is empty, all tags are removed).
func slbUntagResources(c *call) (any, error) {
	s := c.e.slb
	rtype, ids, err := tagRequestTarget(c, true)
	if err != nil {
		return nil, err
	}
	keys := c.list("TagKey")
	if len(keys) > c.e.cfg.Limits.TagsPerResource {
		return nil, Errf(http.StatusBadRequest, "SizeLimitExceeded.TagKey", "The maximum size of TagKey is exceeded.")
	}
	targets, err := s.resolveTargets(c, rtype, ids)
	if err != nil {
		return nil, err
	}
	drop := make(map[string]bool, len(keys))
	for _, k := range keys {
		drop[k] = true
	}
	for _, t := range targets {
		if len(keys) == 0 {
			*t.tags = nil
			continue
		}
		kept := (*t.tags)[:0:0]
		for _, tg := range *t.tags {
			if !drop[tg.Key] {
				kept = append(kept, tg)
			}
		}
		*t.tags = kept
	}
	return &slb.UntagResourcesResponse{}, nil
}

// slbListTagResources lists (resource, tag) rows of resources that carry all
// Tag.N pairs, optionally restricted to ResourceId.N, paged by NextToken.
func slbListTagResources(c *call) (any, error) {
	s := c.e.slb
	rtype, ids, err := tagRequestTarget(c, false)
	if err != nil {
		return nil, err
	}
	want := c.tags()
	for i := 1; c.has("Tag." + strconv.Itoa(i) + ".Value"); i++ {
		if !c.has("Tag." + strconv.Itoa(i) + ".Key") {
			// "Only Tag.N.Value ⇒ error" (ListTagResources page).
			return nil, Errf(http.StatusBadRequest, "MissingParam.TagKey", "The param TagKey is missing.")
		}
	}
	if len(ids) == 0 && len(want) == 0 {
		return nil, Errf(http.StatusBadRequest, "MissingParam.TagOrResourceId", "The parameter Tag or ResourceId is required at least one.")
	}
	if len(want) > c.e.cfg.Limits.TagsPerResource {
		return nil, Errf(http.StatusBadRequest, "SizeLimitExceeded.Tag", "The maximum size of Tag is exceeded.")
	}
	var targets []tagTarget
	if len(ids) > 0 {
		for _, id := range ids {
			if t, ok := s.tagTargetByID(c.e, rtype, id); ok {
				targets = append(targets, t)
			}
		}
	} else {
		targets = s.allTagTargets(c.e, rtype)
	}
	var rows []slb.TagResource
	for _, t := range targets {
		if !matchTags(*t.tags, want) {
			continue
		}
		sorted := append([]Tag(nil), *t.tags...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
		for _, tg := range sorted {
			rows = append(rows, slb.TagResource{ResourceId: t.id, ResourceType: rtype, TagKey: tg.Key, TagValue: tg.Value})
		}
	}
	start := 0
	if tok := c.str("NextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(rows) {
			return nil, Errf(http.StatusBadRequest, "QueryTokenNotExist", "The specified NextToken does not exist.")
		}
		start = n
	}
	end, next := start+tagPageSize, ""
	if end < len(rows) {
		next = strconv.Itoa(end)
	} else {
		end = len(rows)
	}
	return &slb.ListTagResourcesResponse{NextToken: next,
		TagResources: slb.TagResources{TagResource: append([]slb.TagResource{}, rows[start:end]...)}}, nil
}
