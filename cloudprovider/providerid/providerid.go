// Package providerid parses and formats the ECS provider IDs this CCM puts
// on nodes: "<region>.<instance-id>" (what the official CCM,
// kubernetes/cloud-provider-alibaba-cloud, and the deployment guide's
// provider-initor write), also accepted with an "alicloud://" prefix.
package providerid

import (
	"fmt"
	"strings"
)

// Prefix is the optional scheme some tools put in front of the ID.
const Prefix = "alicloud://"

// ID is a parsed ECS provider ID.
type ID struct {
	Region     string // e.g. "cn-hangzhou"
	InstanceID string // e.g. "i-bp1abc..."
}

// String formats the ID the way this CCM writes it: "<region>.<instance-id>".
func (id ID) String() string { return id.Region + "." + id.InstanceID }

// ErrNotECS is wrapped by Parse when the provider ID is not an ECS one (a
// virtual-kubelet node, another cloud, a bare-metal node). Callers treat such
// nodes as "not ours", never as missing.
var ErrNotECS = fmt.Errorf("not an Alibaba Cloud ECS provider ID")

// Parse reads "<region>.<instance-id>" or "alicloud://<region>.<instance-id>".
// An ECS instance ID starts with "i-"; anything else wraps ErrNotECS.
func Parse(providerID string) (ID, error) {
	s := strings.TrimSpace(providerID)
	if s == "" {
		return ID{}, fmt.Errorf("empty provider ID: %w", ErrNotECS)
	}
	if strings.Contains(s, "://") {
		if !strings.HasPrefix(s, Prefix) {
			return ID{}, fmt.Errorf("provider ID %q: %w", providerID, ErrNotECS)
		}
		s = strings.TrimPrefix(s, Prefix)
	}
	region, instance, ok := strings.Cut(s, ".")
	if !ok || region == "" || !IsInstanceID(instance) || strings.ContainsAny(region, "/ ") {
		return ID{}, fmt.Errorf("provider ID %q is not <region>.<instance-id>: %w", providerID, ErrNotECS)
	}
	return ID{Region: region, InstanceID: instance}, nil
}

// IsInstanceID reports whether s looks like an ECS instance ID ("i-" followed
// by letters and digits).
func IsInstanceID(s string) bool {
	if !strings.HasPrefix(s, "i-") || len(s) < 3 {
		return false
	}
	for _, r := range s[2:] {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// FromNodeName parses a node name of the form "<region>.<instance-id>", which
// kubelet's --hostname-override commonly sets on ECS; ok is false otherwise.
func FromNodeName(name string) (ID, bool) {
	id, err := Parse(name)
	return id, err == nil
}
