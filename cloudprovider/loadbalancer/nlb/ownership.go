package nlb

import (
	"sort"
	"strings"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
)

// The NLB carries the CLB engine's ownership tags (loadbalancer.TagClusterID,
// TagServiceUID, TagService, TagAdditionalKeys): one identity for both
// products, so sweeps and humans read them alike.

// ownership classifies an NLB relative to one Service.
type ownership int

const (
	// The zero value: not found.
	_ ownership = iota
	// ownOurs: our tags name this cluster and Service UID.
	ownOurs
	// ownOfficial: created by the official CCM for this Service (its
	// kubernetes.do.not.delete=<default name> tag); adopted by adding our tags.
	ownOfficial
	// ownReused: the user's NLB named by the id annotation; never deleted,
	// and only the attributes the user annotated are changed.
	ownReused
	// ownForeign: anything else; never touched.
	ownForeign
)

func (o ownership) String() string {
	return [...]string{"none", "ours", "official", "reused", "foreign"}[o]
}

// owned is true for an NLB the Service may delete and fully manage.
func (o ownership) owned() bool { return o == ownOurs || o == ownOfficial }

// nlbTagMap turns the list answers' tags into a map.
func nlbTagMap(tags []sdknlb.TagModels) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// classify decides whose NLB this is from its tags alone (never from its
// name): ours when the Service UID tag is svc's and the cluster tag is
// this cluster's; the official CCM's when its owner tag holds svc's default
// name; reused when it is the NLB of the id annotation and carries no
// CCM's tag; else foreign.
func classify(tags map[string]string, lbID string, svc *v1.Service, clusterID, reuseID string) ownership {
	if uid, ok := tags[loadbalancer.TagServiceUID]; ok {
		if uid == string(svc.UID) && tags[loadbalancer.TagClusterID] == clusterID {
			return ownOurs
		}
		return ownForeign
	}
	if v := tags[loadbalancer.TagOfficialOwner]; v != "" && v == k8scloudprovider.DefaultLoadBalancerName(svc) {
		return ownOfficial
	}
	if reuseID != "" && lbID == reuseID {
		return ownReused
	}
	return ownForeign
}

// ownershipTags are the tags a created or adopted NLB carries. Ours prove
// ownership; the official CCM's owner tag keeps its tooling (and a move
// back to it) seeing the NLB as the Service's.
func ownershipTags(svc *v1.Service, clusterID string) map[string]string {
	return map[string]string{
		loadbalancer.TagClusterID:     clusterID,
		loadbalancer.TagServiceUID:    string(svc.UID),
		loadbalancer.TagService:       svc.Namespace + "/" + svc.Name,
		loadbalancer.TagOfficialOwner: k8scloudprovider.DefaultLoadBalancerName(svc),
	}
}

// ownTagKeys are the keys of our tags on an NLB: ownershipTags and the
// list of additional keys.
var ownTagKeys = []string{loadbalancer.TagClusterID, loadbalancer.TagServiceUID, loadbalancer.TagService,
	loadbalancer.TagOfficialOwner, loadbalancer.TagAdditionalKeys}

// maxTagValueLen is a tag value's limit (TagResources page: 128).
const maxTagValueLen = 128

// additionalKeysValue renders the TagAdditionalKeys value for the keys of
// want: sorted, comma-separated, within maxTagValueLen (keys that do not
// fit are left out of the list, so they are never untagged: the safe side).
func additionalKeysValue(want map[string]string) string {
	keys := sortedKeys(want)
	out := ""
	for _, k := range keys {
		next := k
		if out != "" {
			next = out + "," + k
		}
		if len(next) > maxTagValueLen {
			continue
		}
		out = next
	}
	return out
}

// planAdditionalTags returns the tags to set (new or changed annotation
// tags plus the TagAdditionalKeys list) and the keys to remove: keys we
// added earlier (listed in TagAdditionalKeys) that the annotation no
// longer has. Tags added by hand (not in the list) are never removed.
func planAdditionalTags(have, want map[string]string) (map[string]string, []string) {
	add := diffTags(have, want)
	var remove []string
	for _, k := range strings.Split(have[loadbalancer.TagAdditionalKeys], ",") {
		if _, still := want[k]; k != "" && !still {
			if _, present := have[k]; present {
				remove = append(remove, k)
			}
		}
	}
	switch list := additionalKeysValue(want); list {
	case have[loadbalancer.TagAdditionalKeys]:
	case "":
		remove = append(remove, loadbalancer.TagAdditionalKeys)
	default:
		add[loadbalancer.TagAdditionalKeys] = list
	}
	sort.Strings(remove)
	return add, remove
}

// diffTags returns the entries of want that have lacks or holds otherwise.
func diffTags(have, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			out[k] = v
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
