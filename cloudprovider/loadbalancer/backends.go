package loadbalancer

import (
	"fmt"
	"sort"
	"strconv"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// backend is one vServer group member.
type backend struct {
	ServerID    string
	Type        annotations.BackendType // ecs | eni | eci (as the API lists members)
	ServerIP    string                  // eni/eci only
	Port        int
	Weight      int
	Description string
}

// key is a member's identity: (server, port) for ECS, whose ServerIp the
// API fills in on describe, and (server, IP, port) for ENI/ECI, where one
// ENI is listed once per IP (the API's duplicate rule,
// ModifyVServerGroupBackendServers page).
func (b backend) key() string {
	ip := b.ServerIP
	if b.Type == "" || b.Type == annotations.BackendECS {
		ip = ""
	}
	return b.ServerID + "|" + ip + "|" + strconv.Itoa(b.Port)
}

// Node labels and values the builder honours.
const (
	labelExcludeFromLB        = "node.kubernetes.io/exclude-from-external-load-balancers"
	labelExcludeBalancerAlpha = "alpha.service-controller.kubernetes.io/exclude-balancer"
)

// nodeCandidate is a node that may back a load balancer.
type nodeCandidate struct {
	node       *v1.Node
	instanceID string
}

// eligibleNodes filters the nodes the framework passes down to those that
// can be ECS backends (nodeRules.eligible), one per instance, sorted by
// instance ID.
func eligibleNodes(nodes []*v1.Node, spec *annotations.Backend) []nodeCandidate {
	rules := newNodeRules(spec, false)
	out := make([]nodeCandidate, 0, len(nodes))
	seen := map[string]bool{}
	for _, n := range nodes {
		id, ok := rules.eligible(n)
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, nodeCandidate{node: n, instanceID: id})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].instanceID < out[j].instanceID })
	return out
}

// nodeRules decide node by node whether a node may be a member, so the
// rules apply the same to the whole node list (Cluster members, the
// framework's nodes) and to nodes looked up by name (Local and ENI
// members: the nodes of the Service's endpoints).
type nodeRules struct {
	spec  *annotations.Backend
	sel   labels.Selector
	drain bool
}

// newNodeRules are the rules of spec; drain keeps cordoned nodes and nodes
// the cluster autoscaler is removing, at weight 0 (candidate).
func newNodeRules(spec *annotations.Backend, drain bool) nodeRules {
	return nodeRules{spec: spec, sel: labels.SelectorFromSet(spec.NodeLabels), drain: drain}
}

// eligible returns the ECS instance of a node that may be an ECS backend:
// not a virtual-kubelet node (ECI pods are ENI backends, built from
// endpoints), an ECS providerID (data-centre nodes are not ECS
// instances), not excluded by label, matching backend-label, and not
// cordoned when remove-unscheduled-backend is on (unless drain keeps it).
// Ready is deliberately not checked: membership changes only on stable
// signals and CLB health checks handle the rest (KEP-3458).
func (r nodeRules) eligible(n *v1.Node) (string, bool) {
	if n == nil || nodeclass.IsVirtual(n) {
		return "", false
	}
	if _, ok := n.Labels[labelExcludeFromLB]; ok {
		return "", false
	}
	if _, ok := n.Labels[labelExcludeBalancerAlpha]; ok {
		return "", false
	}
	if len(r.spec.NodeLabels) > 0 && !r.sel.Matches(labels.Set(n.Labels)) {
		return "", false
	}
	if r.spec.RemoveUnscheduled && !r.drain && n.Spec.Unschedulable {
		return "", false
	}
	id, ok := nodeclass.ECSInstance(n)
	if !ok {
		return "", false
	}
	return id.InstanceID, true
}

// candidate is n as endpoint-driven members see it, with the framework's
// stable node-set rules: deleted nodes go, nodes tainted by the cluster
// autoscaler go unless drain keeps them at weight 0, cordoned nodes go
// with remove-unscheduled-backend unless drain keeps them at weight 0.
// Virtual nodes are always candidates: their pods are ENI members.
func (r nodeRules) candidate(n *v1.Node) (podbackends.Node, bool) {
	if n == nil || n.DeletionTimestamp != nil {
		return podbackends.Node{}, false
	}
	draining := r.drain && podbackends.IsDraining(n)
	if nodeclass.IsVirtual(n) {
		return podbackends.Node{Name: n.Name, Virtual: true, Draining: draining}, true
	}
	if !r.drain && hasTaint(n, podbackends.TaintToBeDeleted) {
		return podbackends.Node{}, false
	}
	id, ok := r.eligible(n)
	if !ok {
		return podbackends.Node{}, false
	}
	return podbackends.Node{Name: n.Name, InstanceID: id, Draining: draining}, true
}

// candidates are the candidate nodes of nodes by name, one per ECS
// instance (the first in nodes' order), and the zone of each candidate's
// instance (pickSubset balances zones).
func (r nodeRules) candidates(nodes []*v1.Node) (map[string]podbackends.Node, map[string]string) {
	out := make(map[string]podbackends.Node, len(nodes))
	zones := map[string]string{}
	for _, n := range nodes {
		c, ok := r.candidate(n)
		if !ok {
			continue
		}
		if c.InstanceID != "" {
			if _, dup := zones[c.InstanceID]; dup {
				continue
			}
			zones[c.InstanceID] = zoneOf(n)
		}
		out[n.Name] = c
	}
	return out, zones
}

// backendStrategy builds the desired members of one listener's group.
// The node strategy builds members from the framework's nodes; the pod
// strategy (podstrategy.go) from EndpointSlices: Local weights by endpoint
// count, ENI and ECI pod members.
type backendStrategy interface {
	build(l *annotations.Listener, desc string) []backend
	// zone is a member's zone, for zone-balanced subsets (quota.go); ""
	// when unknown.
	zone(serverID string) string
}

// zoneOf is a node's zone label (the stable one, else the beta one).
func zoneOf(n *v1.Node) string {
	if z := n.Labels[v1.LabelTopologyZone]; z != "" {
		return z
	}
	return n.Labels[v1.LabelFailureDomainBetaZone]
}

// nodeStrategy puts every eligible node on the listener's NodePort. It
// serves externalTrafficPolicy Cluster, and Local while no pod backend
// source is installed (with the listener's health check on
// healthCheckNodePort so nodes without local endpoints fail it and get no
// traffic).
type nodeStrategy struct {
	nodes []nodeCandidate
	// defaultWeight replaces every member's weight 100 (default-weight).
	defaultWeight *int
	// sharedWeight, when set, is spread over the members
	// (annotations.Config.SharedWeight).
	sharedWeight *int
}

func (s nodeStrategy) zone(serverID string) string {
	for _, n := range s.nodes {
		if n.instanceID == serverID {
			return zoneOf(n.node)
		}
	}
	return ""
}

func (s nodeStrategy) build(l *annotations.Listener, desc string) []backend {
	w := defaultWeight
	if s.defaultWeight != nil {
		w = *s.defaultWeight
	}
	if s.sharedWeight != nil {
		w = spreadWeight(*s.sharedWeight, len(s.nodes))
	}
	out := make([]backend, 0, len(s.nodes))
	for _, n := range s.nodes {
		out = append(out, backend{ServerID: n.instanceID, Type: annotations.BackendECS, Port: int(l.NodePort), Weight: w, Description: desc})
	}
	return out
}

// spreadWeight spreads a total weight over count backends: max(1, W/count),
// and 0 when W is 0 (the official CCM's percent algorithm).
func spreadWeight(total, count int) int {
	if total <= 0 || count == 0 {
		return 0
	}
	if w := total / count; w > 1 {
		return w
	}
	return 1
}

// backendPlan is the diff of one group.
type backendPlan struct {
	add, remove, update []backend
}

func (p backendPlan) empty() bool { return len(p.add)+len(p.remove)+len(p.update) == 0 }

// diffBackends is the member diff (DiffMembers) of a vServer group.
func diffBackends(desired, actual []backend, owned func(backend) bool, ignoreWeight bool) backendPlan {
	p := DiffMembers(desired, actual, owned, ignoreWeight)
	return backendPlan{add: p.Add, remove: p.Remove, update: p.Update}
}

// step is one batched call of a plan.
type step struct {
	op    string // add | remove | replace | update
	batch []backend
	// old are the members a replace step takes out for batch
	// (ModifyVServerGroupBackendServers).
	old []backend
}

// orderPlan turns a plan into batched calls of at most batch members.
// Adds and removes are paired into replace calls first
// (ModifyVServerGroupBackendServers swaps up to batch members for as many
// others in one call): a pod moving to another node is one call per group
// instead of two, the group never loses capacity during the swap
// (zero-loss) and the CLB's member count, which its backend quota counts,
// never grows on the way. After the pairs only adds or only removes are
// left; weight updates come last.
func orderPlan(p backendPlan, batch int) []step {
	var steps []step
	pairs := min(len(p.add), len(p.remove))
	for i := 0; i < pairs; i += batch {
		j := min(i+batch, pairs)
		steps = append(steps, step{op: "replace", batch: p.add[i:j], old: p.remove[i:j]})
	}
	chunks := func(op string, items []backend) {
		for i := 0; i < len(items); i += batch {
			j := min(i+batch, len(items))
			steps = append(steps, step{op: op, batch: items[i:j]})
		}
	}
	chunks("add", p.add[pairs:])
	chunks("remove", p.remove[pairs:])
	chunks("update", p.update)
	return steps
}

// minCalls is the fewest calls a plan needs (for the benchmark's ratio):
// replace calls for the pairs, then the adds or removes left, then the
// weight updates.
func (p backendPlan) minCalls(batch int) int {
	c := func(n int) int { return (n + batch - 1) / batch }
	pairs := min(len(p.add), len(p.remove))
	return c(pairs) + c(len(p.add)-pairs) + c(len(p.remove)-pairs) + c(len(p.update))
}

// The Member methods (member_diff.go).
func (b backend) MemberKey() string         { return b.key() }
func (b backend) MemberWeight() int         { return b.Weight }
func (b backend) MemberDescription() string { return b.Description }
func (b backend) ForUpdate(backend) backend { return b }
func (b backend) WithWeight(w int) backend  { b.Weight = w; return b }

func (b backend) String() string {
	return fmt.Sprintf("%s:%d(w%d)", b.ServerID, b.Port, b.Weight)
}
