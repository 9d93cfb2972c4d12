package loadbalancer

import (
	"fmt"
	"sort"
	"strconv"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
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
// can be ECS backends: not virtual-kubelet nodes (ECI pods are ENI
// backends, built from endpoints), only nodes with an ECS providerID (data-centre nodes are not
// ECS instances), not excluded by label, matching backend-label, and not
// cordoned when remove-unscheduled-backend is on. Ready is deliberately not
// checked: membership changes only on stable signals and CLB health checks
// handle the rest (KEP-3458).
func eligibleNodes(nodes []*v1.Node, spec *annotations.Backend) []nodeCandidate {
	sel := labels.SelectorFromSet(spec.NodeLabels)
	out := make([]nodeCandidate, 0, len(nodes))
	seen := map[string]bool{}
	for _, n := range nodes {
		if n == nil || nodeclass.IsVirtual(n) {
			continue
		}
		if _, ok := n.Labels[labelExcludeFromLB]; ok {
			continue
		}
		if _, ok := n.Labels[labelExcludeBalancerAlpha]; ok {
			continue
		}
		if len(spec.NodeLabels) > 0 && !sel.Matches(labels.Set(n.Labels)) {
			continue
		}
		if spec.RemoveUnscheduled && n.Spec.Unschedulable {
			continue
		}
		id, ok := nodeclass.ECSInstance(n)
		if !ok || seen[id.InstanceID] {
			continue
		}
		seen[id.InstanceID] = true
		out = append(out, nodeCandidate{node: n, instanceID: id.InstanceID})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].instanceID < out[j].instanceID })
	return out
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
