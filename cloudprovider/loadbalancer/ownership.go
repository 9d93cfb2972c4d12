package loadbalancer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	k8scloudprovider "k8s.io/cloud-provider"
)

// Ownership tags on a CLB this CCM created or adopted. The Service UID is
// the identity (names can be reused by a new Service); cluster and
// namespace/name are for humans and for orphan sweeps.
const (
	// TagClusterID names the cluster (cloud-config Global.clusterID).
	TagClusterID = "alicloud-ccm/cluster-id"
	// TagServiceUID is the UID of the owning Service.
	TagServiceUID = "alicloud-ccm/service-uid"
	// TagService is "<namespace>/<name>" of the owning Service.
	TagService = "alicloud-ccm/service"
	// TagAdditionalKeys lists, comma-separated and sorted, the tag keys
	// this CCM put on the CLB for additional-resource-tags. A key removed
	// from the annotation is untagged only when it is listed here, so tags
	// added in the console survive.
	TagAdditionalKeys = "alicloud-ccm/additional-tags"
)

// Tags of the official CCM (kubernetes/cloud-provider-alibaba-cloud). A CLB
// carrying TagOfficialOwner=<default name of this Service> was created by
// the official CCM for this Service and is adopted; TagOfficialCluster also marks
// ACK-managed CLBs such as the API-server SLB, which are never reused.
const (
	TagOfficialOwner   = "kubernetes.do.not.delete"
	TagOfficialCluster = "ack.aliyun.com"
)

// ownership classifies a CLB relative to one Service.
type ownership int

const (
	// The zero value: not found (no CLB, so no ownership).
	_ ownership = iota
	// ownOurs: our tags name this cluster and Service UID.
	ownOurs
	// ownOfficial: created by the official CCM for this Service; adopted
	// by adding our tags.
	ownOfficial
	// ownReused: the user's CLB named by the id annotation; never deleted.
	ownReused
	// ownForeign: anything else; never touched.
	ownForeign
)

func (o ownership) String() string {
	return [...]string{"none", "ours", "official", "reused", "foreign"}[o]
}

// tagMap turns the SDK's tag list into a map.
func tagMap(tags []slb.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.TagKey] = t.TagValue
	}
	return m
}

// classify decides whose CLB this is, from its tags alone (never from its
// name). ids are the cluster IDs this CCM answers to (Reconciler.ids: its
// own and, for its own tagged objects, the legacy default); the CLB is
// ours only when its cluster tag is exactly one of them and its Service
// UID tag is svc's. reuseID is the id annotation's value.
func classify(tags map[string]string, lbID string, svc *v1.Service, ids []string, reuseID string) ownership {
	if uid, ok := tags[TagServiceUID]; ok {
		if uid == string(svc.UID) && slices.Contains(ids, tags[TagClusterID]) {
			return ownOurs
		}
		return ownForeign
	}
	if tags[TagOfficialOwner] != "" && tags[TagOfficialOwner] == k8scloudprovider.DefaultLoadBalancerName(svc) {
		return ownOfficial
	}
	if reuseID != "" && lbID == reuseID {
		return ownReused
	}
	return ownForeign
}

// ownerKey is the description of a listener, vServer group or backend that
// this CCM manages: "k8s/<port>/<service>/<namespace>/<clusterID>", the
// official CCM's format, so listeners and groups of an
// adopted CLB stay recognised. port is the listener port for listeners and
// the NodePort for node-backed vServer groups and their backends.
type ownerKey struct {
	Port      int
	Service   string
	Namespace string
	ClusterID string
}

// maxGroupNameLen is VServerGroupName's and a backend Description's limit
// (CreateVServerGroup page: 1-80 characters).
const maxGroupNameLen = 80

// maxListenerDescLen is a listener Description's limit
// (CreateLoadBalancerTCPListener page: 1-256 characters).
const maxListenerDescLen = 256

func (k ownerKey) String() string {
	return fmt.Sprintf("k8s/%d/%s/%s/%s", k.Port, k.Service, k.Namespace, k.ClusterID)
}

// groupName renders the key within maxGroupNameLen: a long Service name is
// shortened to a prefix plus a hash of namespace/name, which stays unique
// and is recomputed identically by ownedBy; then the namespace is dropped;
// a cluster ID still too long (Global.clusterID may have 128 characters)
// is replaced by a hash of it. Keys that fit are never changed, so the
// names of existing groups stay recognised.
func (k ownerKey) groupName() string {
	s := k.String()
	if len(s) <= maxGroupNameLen {
		return s
	}
	sum := sha256.Sum256([]byte(k.Namespace + "/" + k.Service))
	short := ownerKey{Port: k.Port, Service: "~" + hex.EncodeToString(sum[:])[:12], Namespace: k.Namespace, ClusterID: k.ClusterID}
	if len(short.String()) > maxGroupNameLen {
		short.Namespace = ""
	}
	if len(short.String()) > maxGroupNameLen {
		short.ClusterID = hashedClusterID(k.ClusterID)
		short.Namespace = k.Namespace
		if len(short.String()) > maxGroupNameLen {
			short.Namespace = ""
		}
	}
	return short.String()
}

// hashedClusterID stands for a cluster ID too long for an 80-character
// name: "~" and 16 hex digits of its SHA-256 ("~" never starts a valid
// Global.clusterID, so it cannot be mistaken for one).
func hashedClusterID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "~" + hex.EncodeToString(sum[:])[:16]
}

// listenerDescription renders the key as a listener Description: in full
// when it fits maxListenerDescLen, else as groupName (long names with a
// 128-character cluster ID). ownedBy accepts both forms.
func (k ownerKey) listenerDescription() string {
	if s := k.String(); len(s) <= maxListenerDescLen {
		return s
	}
	return k.groupName()
}

// parseOwnerKey reads a description written by ownerKey.String. Service
// names and namespaces cannot contain "/" (they are DNS labels), so
// everything after the fourth "/" is the cluster ID, which may contain
// "/" (Global.clusterID allows it).
func parseOwnerKey(s string) (ownerKey, bool) {
	p := strings.SplitN(s, "/", 5)
	if len(p) != 5 || p[0] != "k8s" {
		return ownerKey{}, false
	}
	port, err := strconv.Atoi(p[1])
	if err != nil {
		return ownerKey{}, false
	}
	return ownerKey{Port: port, Service: p[2], Namespace: p[3], ClusterID: p[4]}, true
}

// ownedBy reports whether a description proves the object belongs to svc
// in one of the clusters ids: it must equal the key we would write for its
// port (in full, or shortened as vServer group names and backend
// descriptions are). Callers pass the exact owner: this cluster's ID, plus
// the legacy default only where our tags prove the CLB is ours.
func ownedBy(desc string, svc *v1.Service, ids ...string) bool {
	k, ok := parseOwnerKey(desc)
	if !ok {
		return false
	}
	for _, id := range ids {
		want := keyFor(svc, id, k.Port)
		if desc == want.String() || desc == want.groupName() {
			return true
		}
	}
	return false
}

// managedByAnyCCM reports whether a description looks like any CCM's key
// (another Service's, another cluster's): such objects are never touched
// and user vServer groups with such names may not be borrowed.
func managedByAnyCCM(desc string) bool {
	_, ok := parseOwnerKey(desc)
	return ok
}

// keyFor builds svc's key for a port.
func keyFor(svc *v1.Service, clusterID string, port int) ownerKey {
	return ownerKey{Port: port, Service: svc.Name, Namespace: svc.Namespace, ClusterID: clusterID}
}

// ownershipTags are the tags put on a CLB we create or adopt. Our own tags
// prove ownership to us; TagOfficialOwner=<default name> is the official
// CCM's ownership tag, so ACK's console, the official CCM's tooling and a
// move back to the official CCM see the CLB as the Service's too.
func ownershipTags(svc *v1.Service, clusterID string) map[string]string {
	return map[string]string{
		TagClusterID:     clusterID,
		TagServiceUID:    string(svc.UID),
		TagService:       svc.Namespace + "/" + svc.Name,
		TagOfficialOwner: k8scloudprovider.DefaultLoadBalancerName(svc),
	}
}
