package loadbalancer

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
)

// Event reasons of endpoint-driven backends.
const (
	// ReasonOverlayPodSkipped: pod IPs outside the VPC (overlay networks)
	// cannot be CLB members and were left out.
	ReasonOverlayPodSkipped = "SkipSyncBackends"
	// ReasonENIUnresolved: pod IPs inside the VPC have no ENI yet; the
	// group keeps its members (nothing is removed) and is retried.
	ReasonENIUnresolved = "UnresolvedENIBackends"
)

// PodBackendSource feeds endpoint-driven backends: EndpointSlices and
// Nodes from informer caches and ENI resolution. *podbackends.Source
// implements it; the endpoints controller installs it in the
// PodBackendSlot it shares with the engine (Options.PodBackends) when it
// is constructed.
type PodBackendSource interface {
	Synced() bool
	EndpointSlices(svc *v1.Service) ([]*discoveryv1.EndpointSlice, error)
	Nodes() ([]*v1.Node, error)
	// Node is the cached Node of this name, false when there is none:
	// Local and ENI members look up only their endpoints' nodes.
	Node(name string) (*v1.Node, bool)
	Resolve(ctx context.Context, ips []string) (podbackends.Resolution, error)
}

// BackendSyncer is what the endpoints controller drives: a backend-only
// sync of one Service and the backend policy that says which
// EndpointSlice changes matter. *Reconciler implements it for CLB
// Services; the provider's product selection implements it for every
// Service, dispatching CLB and NLB Services to their engines.
type BackendSyncer interface {
	SyncBackends(ctx context.Context, svc *v1.Service, nodes []*v1.Node) error
	BackendPolicy(svc *v1.Service) (podbackends.Policy, bool)
}

var _ BackendSyncer = (*Reconciler)(nil)

// incompleteNotifier is implemented by sources that want to hear about
// Services left with unresolved pods by a full reconcile (which does not
// fail for them, so the status is still published), to retry them.
type incompleteNotifier interface {
	Incomplete(svc *v1.Service)
}

// BackendPolicy reports the backend policy of svc and whether its
// annotations parse; the endpoints controller uses it to skip events
// that cannot change any member. It parses without recording events.
func (r *Reconciler) BackendPolicy(svc *v1.Service) (podbackends.Policy, bool) {
	cfg, err := annotations.Parse(svc, r.opts.Defaults)
	if err != nil {
		return "", false
	}
	switch {
	case cfg.Backend.Type == annotations.BackendENI:
		return podbackends.PolicyENI, true
	case cfg.Backend.Local():
		return podbackends.PolicyLocal, true
	}
	return podbackends.PolicyCluster, true
}

// PodBackendSlot holds the pod backend source once the endpoints
// controller installed it. The provider builds one slot and hands it to
// the engines (Options.PodBackends) and to the endpoints controller's
// initialiser, because the source needs the framework's informers, which
// exist only after the engines were built. While the slot is empty,
// members are the nodes the framework passes. The framework may reconcile
// concurrently with installation.
//
// From the installation on, every reconcile (the framework's and the
// endpoints controller's) builds members from EndpointSlices and the
// cached Nodes: Local weights by endpoint count, ENI and ECI pod members,
// weight 0 for terminating endpoints and draining nodes. Without a source,
// Services asking for ENI backends are refused and Local works on nodes
// only.
type PodBackendSlot struct {
	p atomic.Pointer[PodBackendSource]
}

// Set installs s.
func (h *PodBackendSlot) Set(s PodBackendSource) { h.p.Store(&s) }

func (h *PodBackendSlot) get() PodBackendSource {
	if p := h.p.Load(); p != nil {
		return *p
	}
	return nil
}

// IncompleteBackendsError is returned by SyncBackends when some pod IPs
// inside the VPC have no ENI yet: their groups were synced without
// removals and the caller should retry later.
type IncompleteBackendsError struct {
	Service string
	IPs     []string
}

// Error names the Service and the IPs.
func (e *IncompleteBackendsError) Error() string {
	return fmt.Sprintf("service %s: no ENI found for pod IPs %s inside the VPC; members of the affected vServer groups were not removed, retrying later",
		e.Service, strings.Join(e.IPs, ","))
}

// podStrategy holds the members of every listener, computed once per
// reconcile so the ENI lookup is one batched call for the whole Service.
type podStrategy struct {
	members map[listenerKey][]backend
	partial map[listenerKey]bool
	missing []string
	// zones: instance ID -> zone of the candidate nodes.
	zones map[string]string
}

func (s *podStrategy) zone(serverID string) string { return s.zones[serverID] }

func (s *podStrategy) build(l *annotations.Listener, desc string) []backend {
	ms := s.members[keyOf(l)]
	out := make([]backend, len(ms))
	for i, b := range ms {
		b.Description = desc
		out[i] = b
	}
	return out
}

// incomplete reports whether the listener's members lack unresolved pods.
func (s *podStrategy) incomplete(l *annotations.Listener) bool { return s.partial[keyOf(l)] }

// incompleteErr is the backend-only path's error for missing ENIs.
func (s *podStrategy) incompleteErr(svc *v1.Service) error {
	if len(s.missing) == 0 {
		return nil
	}
	return &IncompleteBackendsError{Service: serviceKey(svc), IPs: s.missing}
}

// pickStrategy chooses how members are built: from endpoints when a
// source is installed, else the node strategy on the framework's nodes.
func (r *Reconciler) pickStrategy(ctx context.Context, svc *v1.Service, cfg *annotations.Config, nodes []*v1.Node) (backendStrategy, error) {
	src := r.pods.Source()
	if src == nil {
		if cfg.Backend.Type == annotations.BackendENI {
			return nil, fmt.Errorf("service %s: ENI backends need the endpoints controller, which is not running (see --controllers)", serviceKey(svc))
		}
		cands := eligibleNodes(nodes, &cfg.Backend)
		if len(cands) == 0 {
			r.events.Eventf(svc, v1.EventTypeWarning, ReasonNoBackends,
				"There are no eligible nodes (of %d nodes: virtual-kubelet, non-ECS, excluded, backend-label or cordoned nodes are left out)", len(nodes))
		}
		return nodeStrategy{nodes: cands, defaultWeight: cfg.Backend.DefaultWeight, sharedWeight: cfg.SharedWeight()}, nil
	}
	if !src.Synced() {
		return nil, cloudproviderapi.NewRetryError("endpoint and node caches are not synced yet", busyRetryAfter)
	}
	return r.podMembers(ctx, svc, cfg, src)
}

// podMembers computes every listener's members from the source.
func (r *Reconciler) podMembers(ctx context.Context, svc *v1.Service, cfg *annotations.Config, src PodBackendSource) (*podStrategy, error) {
	drain, err := annotations.ParseDrain(svc)
	if err != nil {
		r.events.Eventf(svc, v1.EventTypeWarning, ReasonInvalidAnnotation, "%v", err)
		return nil, fmt.Errorf("service %s: %w", serviceKey(svc), err)
	}
	slices, err := src.EndpointSlices(svc)
	if err != nil {
		return nil, err
	}
	policy := podbackends.PolicyCluster
	switch {
	case cfg.Backend.Type == annotations.BackendENI:
		policy = podbackends.PolicyENI
	case cfg.Backend.Local():
		policy = podbackends.PolicyLocal
	}
	cands, zones, err := podCandidates(src, svc, slices, policy, newNodeRules(&cfg.Backend, drain))
	if err != nil {
		return nil, err
	}
	// The parser accepts ipv6 backends only on an ipv6 CLB.
	family := discoveryv1.AddressTypeIPv4
	if cfg.Backend.IPVersion == annotations.IPv6 {
		family = discoveryv1.AddressTypeIPv6
	}
	weight := defaultWeight
	if cfg.Backend.DefaultWeight != nil {
		weight = *cfg.Backend.DefaultWeight
	}
	byListener := map[listenerKey][]podbackends.Member{}
	var ips []string
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		sp, ok := servicePortOf(svc, l)
		if !ok {
			continue
		}
		p := podbackends.Params{Policy: policy, DefaultWeight: weight, NodePort: int(l.NodePort), Nodes: cands,
			Endpoints: podbackends.ForPort(svc, sp, slices, family), TotalWeight: cfg.SharedWeight()}
		ms := podbackends.Members(p)
		byListener[keyOf(l)] = ms
		for _, m := range ms {
			if m.IsPod() {
				ips = append(ips, m.IP)
			}
		}
	}
	res := podbackends.Resolution{ENI: map[string]string{}}
	if len(ips) > 0 {
		if res, err = src.Resolve(ctx, ips); err != nil {
			return nil, fmt.Errorf("service %s: %w", serviceKey(svc), err)
		}
	}
	if n, ok := src.(incompleteNotifier); ok && len(res.Missing) > 0 {
		n.Incomplete(svc)
	}
	s := r.toBackends(svc, byListener, res)
	s.zones = zones
	return s, nil
}

// toBackends turns members into group members: nodes as ecs, pods with an
// ENI as eni; overlay pods are skipped with an Event, unresolved pods make
// their listener's group incomplete.
func (r *Reconciler) toBackends(svc *v1.Service, byListener map[listenerKey][]podbackends.Member, res podbackends.Resolution) *podStrategy {
	outside := map[string]bool{}
	for _, ip := range res.Outside {
		outside[ip] = true
	}
	s := &podStrategy{members: map[listenerKey][]backend{}, partial: map[listenerKey]bool{}, missing: res.Missing}
	total := 0
	for lk, ms := range byListener {
		bs := make([]backend, 0, len(ms))
		for _, m := range ms {
			switch {
			case !m.IsPod():
				bs = append(bs, backend{ServerID: m.InstanceID, Type: annotations.BackendECS, Port: m.Port, Weight: m.Weight})
			case res.ENI[m.IP] != "":
				bs = append(bs, backend{ServerID: res.ENI[m.IP], Type: annotations.BackendENI, ServerIP: m.IP, Port: m.Port, Weight: m.Weight})
			case outside[m.IP]:
			default:
				s.partial[lk] = true
			}
		}
		total += len(bs)
		s.members[lk] = bs
	}
	if len(res.Outside) > 0 {
		r.events.Eventf(svc, v1.EventTypeNormal, ReasonOverlayPodSkipped,
			"Pod IPs %s are outside the VPC (overlay network) and cannot be CLB backends; skipped", strings.Join(res.Outside, ","))
	}
	if len(res.Missing) > 0 {
		r.events.Eventf(svc, v1.EventTypeWarning, ReasonENIUnresolved,
			"No ENI found for pod IPs %s inside the VPC; members of the affected vServer groups are kept (nothing removed) and the sync is retried", strings.Join(res.Missing, ","))
	}
	if total == 0 && len(byListener) > 0 {
		r.events.Eventf(svc, v1.EventTypeWarning, ReasonNoBackends, "There are no backends for the CLB of this Service (no eligible nodes or no ready endpoints)")
	}
	return s
}

// podCandidates are the candidate nodes (nodeRules) of podNodes by name,
// with the zone of each candidate's instance.
func podCandidates(src PodBackendSource, svc *v1.Service, slices []*discoveryv1.EndpointSlice, policy podbackends.Policy,
	rules nodeRules) (map[string]podbackends.Node, map[string]string, error) {
	nodes, err := podNodes(src, svc, slices, policy)
	if err != nil {
		return nil, nil, err
	}
	cands, zones := rules.candidates(nodes)
	return cands, zones, nil
}

// podNodes are the nodes endpoint-driven members of policy may come from.
// Cluster members are every eligible node, so the Cluster policy reads the
// whole node cache. Local and ENI members come only from the nodes their
// endpoints run on: those are looked up by name, so a sync costs the
// Service's endpoints, not the cluster's nodes (a Service with 2 pods in a
// cluster of 5,000 nodes reads 2 nodes).
func podNodes(src PodBackendSource, svc *v1.Service, slices []*discoveryv1.EndpointSlice, policy podbackends.Policy) ([]*v1.Node, error) {
	if policy == podbackends.PolicyCluster {
		return src.Nodes()
	}
	names := podbackends.EndpointNodes(svc, slices)
	nodes := make([]*v1.Node, 0, len(names))
	for _, name := range names {
		if n, ok := src.Node(name); ok {
			nodes = append(nodes, n)
		}
	}
	return nodes, nil
}

// candidateNodes are the nodes members may come from (nodeRules), by
// name, taken from the full node list.
func candidateNodes(all []*v1.Node, spec *annotations.Backend, drain bool) map[string]podbackends.Node {
	cands, _ := newNodeRules(spec, drain).candidates(all)
	return cands
}

func hasTaint(n *v1.Node, key string) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key {
			return true
		}
	}
	return false
}

// servicePortOf finds the ServicePort behind a CLB listener: same port
// and transport (UDP for udp listeners, TCP for tcp, http and https).
func servicePortOf(svc *v1.Service, l *annotations.Listener) (v1.ServicePort, bool) {
	return ServicePortFor(svc, l.Port, l.Protocol == annotations.ProtocolUDP)
}

// ServicePortFor finds the ServicePort with this port and transport (UDP
// when udp, else TCP; an empty protocol is TCP). Both engines map their
// listeners to Service ports with it.
func ServicePortFor(svc *v1.Service, port int32, udp bool) (v1.ServicePort, bool) {
	want := v1.ProtocolTCP
	if udp {
		want = v1.ProtocolUDP
	}
	for _, p := range svc.Spec.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = v1.ProtocolTCP
		}
		if p.Port == port && proto == want {
			return p, true
		}
	}
	return v1.ServicePort{}, false
}

// groupPort is the port in a group's name: the NodePort for node-backed
// groups, the target port for ENI groups (as the official CCM names them;
// a named target port, which may differ per pod, uses the Service port).
func groupPort(svc *v1.Service, cfg *annotations.Config, l *annotations.Listener) int {
	if cfg.Backend.Type != annotations.BackendENI {
		return int(l.NodePort)
	}
	if sp, ok := servicePortOf(svc, l); ok {
		if sp.TargetPort.IntVal > 0 {
			return int(sp.TargetPort.IntVal)
		}
		return int(sp.Port)
	}
	return int(l.Port)
}
