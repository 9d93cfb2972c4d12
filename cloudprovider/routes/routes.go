// Package routes implements k8s.io/cloud-provider's Routes on Alibaba Cloud
// VPC route tables: one custom entry per node pod CIDR, next hop type
// Instance, pointing at the node's ECS instance. That is what Flannel's
// "alloc" mode needs, and what lets ECI pods on a VNode reach overlay pods.
//
// The framework's route controller fires up to 200 CreateRoute and
// DeleteRoute calls at once, but a VPC takes one route write at a time. The
// calls are therefore queued and coalesced into batch writes of up to 50
// entries per route table, serialised per VPC (see writer), and each caller
// gets its own entry's outcome once the entry is Available (or gone).
//
// Ownership: the CCM manages only custom, single-next-hop Instance entries
// whose destination lies inside --cluster-cidr, and among those only the
// ones whose description carries this cluster's owner marker, plus unmarked
// entries that are exactly a node's pod CIDR route (see ListRoutes).
// Nothing else in a route table is ever listed to the framework, changed or
// deleted.
package routes

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/providerid"
)

// VPCAPI is the part of the VPC client the route capability uses.
type VPCAPI interface {
	DescribeVpcAttribute(ctx context.Context, req *vpc.DescribeVpcAttributeRequest) (*vpc.DescribeVpcAttributeResponse, error)
	DescribeRouteTableList(ctx context.Context, req *vpc.DescribeRouteTableListRequest) (*vpc.DescribeRouteTableListResponse, error)
	ListRouteEntries(ctx context.Context, req *vpc.DescribeRouteEntryListRequest) ([]vpc.RouteEntry, error)
	CreateRouteEntries(ctx context.Context, req *vpc.CreateRouteEntriesRequest) (*vpc.CreateRouteEntriesResponse, error)
	DeleteRouteEntries(ctx context.Context, req *vpc.DeleteRouteEntriesRequest) (*vpc.DeleteRouteEntriesResponse, error)
}

// ECSAPI is the part of the ECS client the route capability uses.
type ECSAPI interface {
	ListNetworkInterfaces(ctx context.Context, req *ecs.DescribeNetworkInterfacesRequest) ([]ecs.NetworkInterfaceSet, error)
	ModifyNetworkInterfaceAttribute(ctx context.Context, req *ecs.ModifyNetworkInterfaceAttributeRequest) (*ecs.ModifyNetworkInterfaceAttributeResponse, error)
}

var (
	_ VPCAPI = (*cloudapi.VPC)(nil)
	_ ECSAPI = (*cloudapi.ECS)(nil)
)

type (
	vpcAPI = VPCAPI
	ecsAPI = ECSAPI
)

// NodeGetter reads Node objects from a cache (the provider's node index).
type NodeGetter interface {
	Get(name string) (*v1.Node, error)
	List() ([]*v1.Node, error)
}

// Config configures New.
type Config struct {
	// VPC and ECS are the API clients (*cloudapi.VPC and *cloudapi.ECS).
	VPC VPCAPI
	ECS ECSAPI
	// VpcID is the cluster's VPC (Global.vpcid).
	VpcID string
	// ClusterID goes into the description of the entries the CCM writes.
	ClusterID string
	// LegacyClusterID is a cluster ID that other clusters may share (the old
	// default, "clusterid", when the cloud-config sets none): entries with
	// its marker prove nothing about who wrote them, so they count as
	// unmarked (adopted only when exactly a node's pod CIDR route, never
	// collected as orphans).
	LegacyClusterID string
	// RouteTableIDs are Global.routeTableIDs; empty means discover the VPC's
	// only route table.
	RouteTableIDs []string
	// EntryQuota is the custom route entries one table may hold
	// (Global.quotaRouteEntriesPerTable); 0 means the default, 200. It is
	// only exported next to each table's entry count.
	EntryQuota int
	// ClusterCIDR is --cluster-cidr, comma-separated for dual stack.
	ClusterCIDR string
	// SkipDisableSourceDestCheck leaves primary ENIs alone.
	SkipDisableSourceDestCheck bool
	// Nodes resolves node names and provider IDs.
	Nodes NodeGetter
	// Events records Warning Events on nodes whose route fails.
	Events record.EventRecorder
	// Tuning overrides the writer's timing (tests, benchmarks).
	Tuning Tuning
}

// Routes implements k8scloudprovider.Routes.
type Routes struct {
	cfg      Config
	clusters clusterCIDRs
	info     *vpcInfo
	writer   *writer
	srcDst   *srcDstCheck

	ipv6Once sync.Once
}

var _ k8scloudprovider.Routes = (*Routes)(nil)

// New checks cfg and builds the capability. It makes no API call: tables
// and the VPC's IPv6 state are read on first use.
func New(cfg Config) (*Routes, error) {
	if cfg.VPC == nil || cfg.Nodes == nil {
		return nil, errors.New("routes: VPC client and node index are required")
	}
	if cfg.ECS == nil && !cfg.SkipDisableSourceDestCheck {
		return nil, errors.New("routes: the ECS client is required unless the source/destination check is skipped")
	}
	clusters, err := parseClusterCIDRs(cfg.ClusterCIDR)
	if err != nil {
		return nil, err
	}
	if cfg.Events == nil {
		cfg.Events = &record.FakeRecorder{}
	}
	if cfg.EntryQuota <= 0 {
		cfg.EntryQuota = DefaultEntryQuota
	}
	registerMetrics()
	r := &Routes{cfg: cfg, clusters: clusters,
		info: &vpcInfo{api: cfg.VPC, vpcID: cfg.VpcID, configured: cfg.RouteTableIDs, now: time.Now}}
	r.writer = &writer{api: cfg.VPC, owned: func(e entry) bool { return e.owned(clusters) },
		tuning: cfg.Tuning.withDefaults(), clusterID: cfg.ClusterID, legacyClusterID: cfg.LegacyClusterID,
		entryQuota: cfg.EntryQuota}
	if !cfg.SkipDisableSourceDestCheck {
		r.srcDst = newSrcDstCheck(cfg.ECS, cfg.VpcID)
	}
	return r, nil
}

// SetClusterID sets the cluster identity of the markers, with the legacy ID
// whose markers count as unmarked. It is called once, from the provider's
// Initialize, before any controller calls the Routes methods.
func (r *Routes) SetClusterID(id, legacy string) {
	if legacy == id {
		legacy = ""
	}
	r.cfg.ClusterID, r.cfg.LegacyClusterID = id, legacy
	r.writer.clusterID, r.writer.legacyClusterID = id, legacy
}

// Stats returns the batch writer's counters.
func (r *Routes) Stats() Stats { return r.writer.stats() }

// ready checks the settings every call needs.
func (r *Routes) ready() error {
	if len(r.clusters) == 0 {
		return errors.New("--cluster-cidr is not set: the route controller needs it to know which routes it owns")
	}
	if r.cfg.VpcID == "" {
		return errors.New("the VPC is unknown: set Global.vpcid in the cloud-config")
	}
	return nil
}

// ListRoutes reports the routes the CCM owns (see the package doc), with
// the node each points at. The framework deletes every reported route that
// is not exactly a node's pod CIDR, so only two kinds are reported:
//
//   - entries with this cluster's owner marker in their description (see
//     writer.entryDescription), whatever they point at: a route whose
//     instance is no node's gets an empty TargetNode, so the framework
//     deletes it; that is how routes of nodes deleted while the CCM was
//     down are collected;
//   - unmarked entries that are exactly a node's pod CIDR to that node's
//     instance: the desired state, written by the official CCM (it sets no
//     description) or by hand, adopted as the node's route.
//
// Everything else is foreign and left out, so never deleted: unmarked
// entries to any other CIDR, even one pointing at a node's instance (an
// operator's extra route through a node, say), and entries with another
// cluster's marker, which share the table and may lie inside
// --cluster-cidr.
func (r *Routes) ListRoutes(ctx context.Context, _ string) ([]*k8scloudprovider.Route, error) {
	if err := r.ready(); err != nil {
		return nil, err
	}
	// Without a complete node list every route would look orphaned.
	nodes, err := r.cfg.Nodes.List()
	if err != nil {
		return nil, fmt.Errorf("listing routes: reading nodes: %w", err)
	}
	byInstance := map[string][]*v1.Node{}
	var routed []string // instances of nodes that want a route
	for _, n := range nodes {
		if id, ok := nodeclass.ECSInstance(n); ok {
			byInstance[id.InstanceID] = append(byInstance[id.InstanceID], n)
			if !nodeclass.IsVirtual(n) && (n.Spec.PodCIDR != "" || len(n.Spec.PodCIDRs) > 0) {
				routed = append(routed, id.InstanceID)
			}
		}
	}
	tables, _, err := r.info.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	if r.srcDst != nil {
		// Every reconcile reads the nodes' source/destination checks:
		// a node whose check is on is left out below, so the framework
		// calls CreateRoute, which turns it off.
		r.srcDst.refresh(ctx, routed)
	}
	type key struct {
		dst      netip.Prefix
		instance string
	}
	coverage := map[key]int{}
	owners := map[key]map[owner]bool{}
	var order []key
	for _, t := range tables {
		entries, err := listCustom(ctx, r.cfg.VPC, t, r.cfg.EntryQuota)
		if err != nil {
			return nil, fmt.Errorf("listing routes of table %s: %w", t, err)
		}
		for _, e := range entries {
			if !e.owned(r.clusters) || e.Status == statusDeleting {
				continue
			}
			k := key{e.Dst, e.Instance}
			if coverage[k] == 0 {
				order = append(order, k)
				owners[k] = map[owner]bool{}
			}
			coverage[k]++
			owners[k][ownerOf(e.Desc, r.cfg.ClusterID, r.cfg.LegacyClusterID)] = true
		}
	}
	var out []*k8scloudprovider.Route
	for _, k := range order {
		node := nodeFor(byInstance[k.instance], k.dst)
		exact := node != nil && hasPodCIDR(node, k.dst)
		switch {
		case owners[k][ours]:
		case exact && !owners[k][otherCluster]:
			klog.V(4).InfoS("Adopting an unmarked route that is exactly the node's pod CIDR route",
				"node", node.Name, "destination", k.dst.String(), "instance", k.instance)
		default:
			klog.V(4).InfoS("Leaving a route this cluster did not write", "destination", k.dst.String(), "instance", k.instance)
			continue
		}
		if exact {
			// A live node's route missing from some tables, or whose
			// source/destination check is still to do, is left out: the
			// framework then calls CreateRoute, which fills the gaps and
			// treats the entries that exist as done.
			if coverage[k] < len(tables) || (r.srcDst != nil && r.srcDst.pending(k.instance)) {
				continue
			}
		}
		route := &k8scloudprovider.Route{Name: routeName(k.instance, k.dst), DestinationCIDR: k.dst.String()}
		if node != nil {
			route.TargetNode = types.NodeName(node.Name)
		}
		out = append(out, route)
	}
	return out, nil
}

// nodeFor picks the node a route points at among the nodes naming its
// instance: normally one; should two claim it (a re-registered node, a
// stale object), the one with the route's pod CIDR, so a live route is
// never reported against a node that would make the framework delete it.
func nodeFor(nodes []*v1.Node, dst netip.Prefix) *v1.Node {
	for _, n := range nodes {
		if hasPodCIDR(n, dst) {
			return n
		}
	}
	if len(nodes) > 0 {
		return nodes[0]
	}
	return nil
}

// hasPodCIDR reports whether dst is one of the node's pod CIDRs.
func hasPodCIDR(node *v1.Node, dst netip.Prefix) bool {
	cidrs := node.Spec.PodCIDRs
	if len(cidrs) == 0 && node.Spec.PodCIDR != "" {
		cidrs = []string{node.Spec.PodCIDR}
	}
	return slices.ContainsFunc(cidrs, func(c string) bool {
		p, err := parseCIDR(c)
		return err == nil && p == dst
	})
}

// CreateRoute routes route.DestinationCIDR to the target node's ECS
// instance in every route table, and turns off the source/destination
// check of the instance's primary ENI. It returns once the entries are
// Available. Nodes without an ECS instance (VNodes, other clouds) get no
// route and no error: an error would only make the framework record a
// failure Event for them on every reconcile.
func (r *Routes) CreateRoute(ctx context.Context, _, _ string, route *k8scloudprovider.Route) error {
	nodeName := string(route.TargetNode)
	if err := r.ready(); err != nil {
		return err
	}
	node, err := r.cfg.Nodes.Get(nodeName)
	if err != nil {
		return fmt.Errorf("creating route for node %s: %w", nodeName, err)
	}
	instance, skip, err := nodeInstance(node)
	if skip || err != nil {
		return err
	}
	dst, err := parseCIDR(route.DestinationCIDR)
	if err != nil {
		return fmt.Errorf("creating route for node %s: pod CIDR: %w", nodeName, err)
	}
	if !r.clusters.contains(dst) {
		return fmt.Errorf("creating route for node %s: pod CIDR %s is outside --cluster-cidr %s; the CCM only manages routes inside it",
			nodeName, dst, r.clusters)
	}
	tables, ipv6, err := r.info.get(ctx)
	if err != nil {
		return fmt.Errorf("creating route for node %s: %w", nodeName, err)
	}
	if dst.Addr().Is6() && !ipv6 {
		r.ipv6Once.Do(func() {
			klog.InfoS("VPC has no IPv6 CIDR block: IPv6 pod CIDRs get no VPC route (enable IPv6 on the VPC to route them)",
				"vpc", r.cfg.VpcID, "node", nodeName, "podCIDR", dst.String())
		})
		klog.V(4).InfoS("Skipping IPv6 pod CIDR route: the VPC has no IPv6", "node", nodeName, "podCIDR", dst.String())
		return nil
	}

	var eniErr chan error
	if r.srcDst != nil {
		eniErr = make(chan error, 1)
		go func() { eniErr <- r.srcDst.ensure(ctx, instance) }()
	}
	ops := make([]*op, len(tables))
	for i, t := range tables {
		ops[i] = newOp(ctx, opCreate, t, dst, instance, nodeName)
	}
	r.writer.submit(ops...)
	var errs []error
	for _, o := range ops {
		if err := o.wait(ctx); err != nil {
			r.eventFor(node, err)
			errs = append(errs, err)
		}
	}
	if eniErr != nil {
		if err := <-eniErr; err != nil {
			r.cfg.Events.Eventf(node, v1.EventTypeWarning, ReasonSourceDestCheckFailed,
				"Routed pod traffic may be dropped: %v", err)
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("route %s to node %s (instance %s): %w", dst, nodeName, instance, err)
	}
	klog.V(2).InfoS("Route available", "node", nodeName, "instance", instance, "podCIDR", dst.String(), "tables", tables)
	return nil
}

// nodeInstance returns the node's ECS instance ID. skip is true (with a nil
// error) for nodes that get no route: VNodes (no ECS instance behind them:
// ECI pods reach overlay pods through the ECS nodes' routes, not the other
// way round) and nodes of other providers or data centres.
// A node whose providerID is still unset while it carries the
// uninitialized taint is an error instead: its route is due as soon as the
// node controller sets the providerID, and returning success would mark
// its network available.
func nodeInstance(node *v1.Node) (instance string, skip bool, err error) {
	if nodeclass.IsVirtual(node) {
		klog.V(4).InfoS("No route for a virtual-kubelet node", "node", node.Name)
		return "", true, nil
	}
	if node.Spec.ProviderID == "" && nodeclass.IsUninitialized(node) {
		return "", true, fmt.Errorf("node %s has no providerID yet (not initialized); its route waits for it", node.Name)
	}
	id, ok := nodeclass.ECSInstance(node)
	if !ok {
		klog.V(4).InfoS("No route for a node without an ECS providerID", "node", node.Name, "providerID", node.Spec.ProviderID)
		return "", true, nil
	}
	return id.InstanceID, false, nil
}

// eventFor records a Warning Event on the node for a failed route entry.
func (r *Routes) eventFor(node *v1.Node, err error) {
	var conflict *ConflictError
	var quota *QuotaError
	switch {
	case errors.As(err, &conflict):
		r.cfg.Events.Event(node, v1.EventTypeWarning, ReasonRouteConflict, conflict.Error())
	case errors.As(err, &quota):
		r.cfg.Events.Event(node, v1.EventTypeWarning, ReasonRouteQuotaExceeded, quota.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
	default:
		r.cfg.Events.Eventf(node, v1.EventTypeWarning, ReasonRouteFailed, "%v", err)
	}
}

// DeleteRoute removes a route ListRoutes reported, from every route table.
// It deletes only an entry that still matches exactly (destination, next hop
// instance) and is ours (see the package doc); an entry already gone is
// success.
func (r *Routes) DeleteRoute(ctx context.Context, _ string, route *k8scloudprovider.Route) error {
	if err := r.ready(); err != nil {
		return err
	}
	dst, err := parseCIDR(route.DestinationCIDR)
	if err != nil {
		return fmt.Errorf("deleting route %q: %w", route.Name, err)
	}
	if !r.clusters.contains(dst) {
		return fmt.Errorf("deleting route %q: %s is outside --cluster-cidr %s; the CCM does not delete routes it does not own",
			route.Name, dst, r.clusters)
	}
	instance, nameDst, ok := parseRouteName(route.Name)
	if !ok || nameDst != dst {
		instance, err = r.instanceOf(route.TargetNode)
		if err != nil {
			return fmt.Errorf("deleting route %q (%s): %w", route.Name, dst, err)
		}
	}
	tables, _, err := r.info.get(ctx)
	if err != nil {
		return fmt.Errorf("deleting route %s to instance %s: %w", dst, instance, err)
	}
	ops := make([]*op, len(tables))
	for i, t := range tables {
		ops[i] = newOp(ctx, opDelete, t, dst, instance, string(route.TargetNode))
	}
	r.writer.submit(ops...)
	var errs []error
	for _, o := range ops {
		if err := o.wait(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("deleting route %s to instance %s: %w", dst, instance, err)
	}
	klog.V(2).InfoS("Route deleted", "node", route.TargetNode, "instance", instance, "destination", dst.String())
	return nil
}

// instanceOf finds the ECS instance of a node by name, for routes not named
// by ListRoutes.
func (r *Routes) instanceOf(name types.NodeName) (string, error) {
	if name == "" {
		return "", errors.New("the route names neither an instance nor a node")
	}
	node, err := r.cfg.Nodes.Get(string(name))
	if err != nil {
		return "", err
	}
	id, err := providerid.Parse(node.Spec.ProviderID)
	if err != nil {
		return "", fmt.Errorf("node %s: %w", name, err)
	}
	return id.InstanceID, nil
}
