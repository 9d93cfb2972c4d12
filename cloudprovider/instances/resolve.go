package instances

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/providerid"
)

// Kind classifies a node for the provider.
type Kind int

const (
	// KindECS means the node is an ECS instance of the configured region;
	// ID is set.
	KindECS Kind = iota
	// KindVirtual is a virtual-kubelet (ECI) node, never an ECS instance.
	KindVirtual
	// KindForeign means the providerID belongs to another provider.
	KindForeign
	// KindOtherRegion is an ECS providerID (or node name) in another
	// region, which this CCM's clients cannot query.
	KindOtherRegion
	// KindNotFound means no providerID and no ECS instance found by name,
	// IP or metadata; typically a data-centre node.
	KindNotFound
	// KindAmbiguous means several ECS instances match the node's addresses.
	KindAmbiguous
)

// String names the kind for logs and events.
func (k Kind) String() string {
	switch k {
	case KindECS:
		return "ECS"
	case KindVirtual:
		return "virtual-kubelet"
	case KindForeign:
		return "foreign providerID"
	case KindOtherRegion:
		return "other region"
	case KindNotFound:
		return "not found"
	case KindAmbiguous:
		return "ambiguous"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Ways a node was matched to its ECS instance (Resolution.Via).
const (
	ViaProviderID = "providerID"
	ViaNodeName   = "node name"
	ViaInternalIP = "InternalIP"
	ViaMetadata   = "metadata service"
)

// Resolution says which ECS instance, if any, a node is.
type Resolution struct {
	Kind Kind
	// ID is the instance when Kind is KindECS (or KindOtherRegion from a
	// providerID or name).
	ID providerid.ID
	// Via tells how the instance was found (ViaProviderID, ...).
	Via string
	// Candidates lists the matching instance IDs when Kind is KindAmbiguous.
	Candidates []string
	// IPs are the node's InternalIPs that were looked up.
	IPs []string
}

// selfIdentity is what the metadata service says about the machine the CCM
// runs on.
type selfIdentity struct {
	instanceID, region, privateIP, hostname string
}

// selfCache loads the metadata identity once; a failure (e.g. off ECS,
// where each lookup takes seconds to time out) is remembered for
// selfRetryAfter so that resolving nodes stays fast.
type selfCache struct {
	src MetadataSource
	mu  sync.Mutex
	id  *selfIdentity
	err error
	at  time.Time
}

const selfRetryAfter = 10 * time.Minute

func (s *selfCache) get(ctx context.Context, now time.Time) (*selfIdentity, error) {
	if s.src == nil {
		return nil, errors.New("no metadata service configured")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.id != nil {
		return s.id, nil
	}
	if s.err != nil && now.Sub(s.at) < selfRetryAfter {
		return nil, s.err
	}
	id, err := loadSelf(ctx, s.src)
	s.id, s.err, s.at = id, err, now
	return id, err
}

func loadSelf(ctx context.Context, src MetadataSource) (*selfIdentity, error) {
	var id selfIdentity
	for _, f := range []struct {
		dst  *string
		name string
		get  func(context.Context) (string, error)
	}{
		{&id.instanceID, "instance-id", src.InstanceID},
		{&id.region, "region-id", src.RegionID},
		{&id.privateIP, "private-ipv4", src.PrivateIPv4},
		{&id.hostname, "hostname", src.Hostname},
	} {
		v, err := f.get(ctx)
		if err != nil {
			return nil, fmt.Errorf("metadata %s: %w", f.name, err)
		}
		*f.dst = v
	}
	return &id, nil
}

// Resolve finds the ECS instance of node: by providerID, else by a node name
// of the form <region>.<instance-id>, else by its InternalIPs in the VPC,
// else through the metadata service when the node is the machine asking
// (its InternalIP or hostname must equal the metadata private-ipv4 or
// hostname). An error means the API could not answer; the caller must then
// not conclude anything about the node.
func (p *Instances) Resolve(ctx context.Context, node *v1.Node) (Resolution, error) {
	if nodeclass.IsVirtual(node) {
		return Resolution{Kind: KindVirtual}, nil
	}
	if node.Spec.ProviderID != "" {
		id, err := providerid.Parse(node.Spec.ProviderID)
		if err != nil {
			return Resolution{Kind: KindForeign}, nil
		}
		return p.inRegion(id, ViaProviderID), nil
	}
	if id, ok := providerid.FromNodeName(node.Name); ok {
		return p.inRegion(id, ViaNodeName), nil
	}
	ips := internalIPs(node)
	res := Resolution{Kind: KindNotFound, IPs: ips}
	var found []string
	var errs []error
	for _, ip := range ips {
		ids, err := p.lookup.instancesByIP(ctx, ip)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, id := range ids {
			if !contains(found, id) {
				found = append(found, id)
			}
		}
	}
	switch {
	case len(found) == 1:
		res.Kind, res.Via, res.ID = KindECS, ViaInternalIP, providerid.ID{Region: p.opts.Region, InstanceID: found[0]}
		return res, nil
	case len(found) > 1:
		sort.Strings(found)
		res.Kind, res.Candidates = KindAmbiguous, found
		return res, nil
	case len(errs) > 0:
		return res, fmt.Errorf("node %q: looking up its InternalIPs %v: %w", node.Name, ips, errors.Join(errs...))
	}
	if self, err := p.self.get(ctx, p.opts.Clock.Now()); err == nil && isSelf(node, ips, self) {
		return p.inRegion(providerid.ID{Region: self.region, InstanceID: self.instanceID}, ViaMetadata), nil
	}
	return res, nil
}

// inRegion returns an ECS resolution, or KindOtherRegion when id is in a
// region this CCM does not manage.
func (p *Instances) inRegion(id providerid.ID, via string) Resolution {
	if id.Region != p.opts.Region {
		return Resolution{Kind: KindOtherRegion, ID: id, Via: via}
	}
	return Resolution{Kind: KindECS, ID: id, Via: via}
}

// isSelf reports whether node is the machine the metadata service describes.
// Never assumed: an address or the hostname must match.
func isSelf(node *v1.Node, ips []string, self *selfIdentity) bool {
	if self.instanceID == "" || !providerid.IsInstanceID(self.instanceID) {
		return false
	}
	if self.privateIP != "" && contains(ips, self.privateIP) {
		return true
	}
	if self.hostname == "" {
		return false
	}
	for _, a := range node.Status.Addresses {
		if a.Type == v1.NodeHostName && strings.EqualFold(a.Address, self.hostname) {
			return true
		}
	}
	return strings.EqualFold(node.Name, self.hostname)
}

// internalIPs returns the node's InternalIPv4 addresses, as kubelet reported
// them, without repeats.
func internalIPs(node *v1.Node) []string {
	var out []string
	for _, a := range node.Status.Addresses {
		if a.Type != v1.NodeInternalIP {
			continue
		}
		ip := net.ParseIP(a.Address)
		if ip == nil || ip.To4() == nil || contains(out, a.Address) {
			continue
		}
		out = append(out, a.Address)
	}
	return out
}

// KnownInstancesFrom returns an Options.KnownInstances function listing the
// instance IDs of the ECS nodes list returns (providerIDs in region; VNodes
// and foreign nodes left out). A list error yields none.
func KnownInstancesFrom(region string, list func() ([]*v1.Node, error)) func() []string {
	return func() []string {
		nodes, err := list()
		if err != nil {
			return nil
		}
		out := make([]string, 0, len(nodes))
		for _, n := range nodes {
			if nodeclass.IsVirtual(n) {
				continue
			}
			if id, ok := nodeclass.ECSInstance(n); ok && id.Region == region {
				out = append(out, id.InstanceID)
			}
		}
		return out
	}
}
