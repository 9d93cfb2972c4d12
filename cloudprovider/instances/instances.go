// Package instances implements k8s.io/cloud-provider's InstancesV2 for ECS:
// it finds the instance behind a node (providerID "<region>.<instance-id>",
// optionally "alicloud://"-prefixed; else a node name of that form; else the
// node's InternalIP in the VPC; else the metadata service when the node is
// the machine asking), and reports whether it exists, whether it is shut
// down, and its addresses, zone, region and type.
//
// # Safety
//
// The framework's node lifecycle controller deletes a NotReady node when
// InstanceExists returns false. This package returns false only when ECS
// positively says the instance is gone: an answer that would contain the
// instance if it existed does not. An ID-filtered DescribeInstances that
// leaves the ID out is not such an answer on its own, since DescribeInstances
// silently leaves out instances the caller's RAM policy does not grant (and
// a policy may grant only some): the ID must also be missing from a
// complete, non-empty listing of the VPC's instances made after the
// filtered call (only when an ID is missing; concurrent batches share one).
// InvalidInstanceId.NotFound for the
// single ID is gone too. Virtual
// (ECI) nodes, nodes of other providers or regions, nodes with no ECS
// instance (data-centre nodes), and every throttled, failed or denied call
// count as existing.
//
// # Cost
//
// Concurrent lookups coalesce into DescribeInstances calls of up to 100 IDs
// (or 100 PrivateIpAddresses) and answers are cached for Options.CacheTTL,
// so the framework's periodic status sync over N nodes costs about N/100
// calls.
package instances

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// Event reasons recorded on nodes.
const (
	// EventReasonInstanceNotFound: a node being initialised has no providerID
	// and no ECS instance matches its name, InternalIPs or the metadata service.
	EventReasonInstanceNotFound = "ECSInstanceNotFound"
	// EventReasonInstanceAmbiguous: several ECS instances match the node's
	// InternalIPs, so none is chosen.
	EventReasonInstanceAmbiguous = "ECSInstanceAmbiguous"
)

// Defaults of Options.
const (
	// DefaultCacheTTL is short next to the framework's 5-minute status sync,
	// so every sync sees fresh data, and long next to the lifecycle
	// controller's 5-second monitor period, so NotReady nodes cost little.
	DefaultCacheTTL = 45 * time.Second
	// DefaultBatchWindow is how long the first lookup waits for others.
	DefaultBatchWindow = 5 * time.Millisecond
	// DefaultCallTimeout bounds one batched lookup including the client
	// layer's retries.
	DefaultCallTimeout = 2 * time.Minute
)

// ecsAPI is the part of *cloudapi.ECS this package uses.
type ecsAPI interface {
	DescribeInstances(ctx context.Context, req *ecs.DescribeInstancesRequest) (*ecs.DescribeInstancesResponse, error)
}

var _ ecsAPI = (*cloudapi.ECS)(nil)

// MetadataSource is the part of the metadata client (config/metadata) used
// to recognise the machine the CCM runs on.
type MetadataSource interface {
	InstanceID(ctx context.Context) (string, error)
	RegionID(ctx context.Context) (string, error)
	PrivateIPv4(ctx context.Context) (string, error)
	Hostname(ctx context.Context) (string, error)
}

// Options configure New.
type Options struct {
	// Region is the region the ECS client queries. Required.
	Region string
	// VpcID scopes lookups by private IP. Required for them.
	VpcID string
	// CacheTTL is how long an answer is reused; default DefaultCacheTTL.
	CacheTTL time.Duration
	// BatchWindow is how long a lookup waits to share a call; default DefaultBatchWindow.
	BatchWindow time.Duration
	// CallTimeout bounds one batched call; default DefaultCallTimeout.
	CallTimeout time.Duration
	// KnownInstances, when set, lists the instance IDs of the cluster's
	// nodes; a lookup that misses the cache fetches up to 99 of them along
	// (see lookup.topUp).
	KnownInstances func() []string
	// Metadata, when set, identifies the machine the CCM runs on.
	Metadata MetadataSource
	// Events records node events; nil only logs.
	Events record.EventRecorder
	// Clock is the cache's clock; default the real one.
	Clock clock.PassiveClock
}

// Instances implements k8scloudprovider.InstancesV2 for ECS.
type Instances struct {
	opts   Options
	lookup *lookup
	self   *selfCache
}

var _ k8scloudprovider.InstancesV2 = (*Instances)(nil)

// New returns the InstancesV2 implementation over an ECS client.
func New(api ecsAPI, opts Options) (*Instances, error) {
	if api == nil {
		return nil, errors.New("instances: nil ECS client")
	}
	if opts.Region == "" {
		return nil, errors.New("instances: region is required")
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.BatchWindow <= 0 {
		opts.BatchWindow = DefaultBatchWindow
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	p := &Instances{opts: opts, self: &selfCache{src: opts.Metadata}}
	p.lookup = newLookup(api, &p.opts)
	return p, nil
}

// find resolves node and, for an ECS node, asks ECS about its instance.
// res.Kind != KindECS means the node is not (or not known to be) an ECS
// instance of this region; then a is zero.
func (p *Instances) find(ctx context.Context, node *v1.Node) (res Resolution, a idAnswer, err error) {
	res, err = p.Resolve(ctx, node)
	if err != nil || res.Kind != KindECS {
		return res, a, err
	}
	a, err = p.lookup.instance(ctx, res.ID.InstanceID)
	if err != nil {
		return res, a, fmt.Errorf("node %q: ECS instance %s: %w", node.Name, res.ID.InstanceID, err)
	}
	return res, a, nil
}

// InstanceExists returns false only when ECS positively says the node's
// instance is gone; see the package doc. API failures are logged (once per
// batch) and answered true with no error: the lifecycle controller must
// not delete the node, and an error per node per monitor period would only
// repeat the log.
func (p *Instances) InstanceExists(ctx context.Context, node *v1.Node) (bool, error) {
	res, a, err := p.find(ctx, node)
	if err != nil {
		klog.V(2).InfoS("Cannot tell whether the node's instance exists; assuming it does", "node", klog.KObj(node), "err", err)
		return true, nil
	}
	if res.Kind == KindECS && a.verdict == gone {
		klog.InfoS("ECS says the node's instance does not exist", "node", klog.KObj(node), "instance", res.ID.InstanceID, "via", res.Via)
		return false, nil
	}
	return true, nil
}

// InstanceShutdown reports whether the node's instance is Stopped or
// Stopping. Stopping counts: it only ever leads to Stopped (a start goes
// through Starting afterwards), and the framework applies the shutdown taint
// only to NotReady nodes and lifts it once the node is Ready again. Anything
// unknown is false.
func (p *Instances) InstanceShutdown(ctx context.Context, node *v1.Node) (bool, error) {
	res, a, err := p.find(ctx, node)
	if err != nil {
		klog.V(2).InfoS("Cannot tell whether the node's instance is shut down; assuming it is not", "node", klog.KObj(node), "err", err)
		return false, nil
	}
	if res.Kind != KindECS || a.verdict != present {
		return false, nil
	}
	switch a.inst.status {
	case "Stopped", "Stopping":
		return true, nil
	}
	return false, nil
}

// InstanceMetadata returns the node's providerID, addresses, zone, region
// and instance type. Nodes that are not ECS instances of this region
// (virtual, foreign, other region, data-centre) get metadata with their own
// providerID and no addresses, so the framework leaves them as they are;
// only a node still waiting for initialisation without a providerID gets an
// error (and an Event) naming what to set.
func (p *Instances) InstanceMetadata(ctx context.Context, node *v1.Node) (*k8scloudprovider.InstanceMetadata, error) {
	res, a, err := p.find(ctx, node)
	if err != nil {
		return nil, fmt.Errorf("instance metadata: %w", err)
	}
	switch res.Kind {
	case KindECS:
	case KindNotFound, KindAmbiguous:
		if node.Spec.ProviderID == "" && nodeclass.IsUninitialized(node) {
			return nil, p.unresolvedError(node, res)
		}
		return &k8scloudprovider.InstanceMetadata{ProviderID: node.Spec.ProviderID}, nil
	default:
		return &k8scloudprovider.InstanceMetadata{ProviderID: node.Spec.ProviderID}, nil
	}
	switch a.verdict {
	case present:
	case gone:
		return nil, fmt.Errorf("node %q: ECS instance %s (found by %s): %w", node.Name, res.ID.InstanceID, res.Via, k8scloudprovider.InstanceNotFound)
	case unknown:
		return nil, fmt.Errorf("node %q: ECS instance %s: DescribeInstances returned nothing and the caller sees no instance in VPC %s (missing ecs:DescribeInstances permission?)",
			node.Name, res.ID.InstanceID, p.opts.VpcID)
	}
	providerID := node.Spec.ProviderID
	if providerID == "" {
		providerID = res.ID.String()
	}
	return &k8scloudprovider.InstanceMetadata{
		ProviderID:    providerID,
		InstanceType:  a.inst.instanceType,
		NodeAddresses: nodeAddresses(node, a.inst),
		Zone:          a.inst.zone,
		Region:        p.opts.Region,
	}, nil
}

// unresolvedError records an Event on node and returns the error telling
// the user how to identify the node.
func (p *Instances) unresolvedError(node *v1.Node, res Resolution) error {
	var reason, msg string
	if res.Kind == KindAmbiguous {
		reason = EventReasonInstanceAmbiguous
		msg = fmt.Sprintf("node %q: InternalIPs %v match several ECS instances %v in VPC %s; start kubelet with --provider-id=%s.<instance-id>",
			node.Name, res.IPs, res.Candidates, p.opts.VpcID, p.opts.Region)
	} else {
		reason = EventReasonInstanceNotFound
		msg = fmt.Sprintf("node %q has no providerID and no ECS instance in VPC %s has its InternalIPs %v; "+
			"start kubelet with --provider-id=%s.<instance-id> (from http://100.100.100.200/latest/meta-data/instance-id), "+
			"or without --cloud-provider=external if it is not an ECS instance", node.Name, p.opts.VpcID, res.IPs, p.opts.Region)
	}
	if p.opts.Events != nil {
		p.opts.Events.Event(node, v1.EventTypeWarning, reason, msg)
	}
	return errors.New(msg)
}
