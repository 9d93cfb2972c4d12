package podbackends

import (
	"slices"
	"sort"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// Policy selects how endpoints become members.
type Policy string

// Policies (package doc).
const (
	PolicyCluster Policy = "Cluster"
	PolicyLocal   Policy = "Local"
	PolicyENI     Policy = "ENI"
)

// Node labels and taints the policies read.
const (
	// TaintToBeDeleted is the cluster autoscaler's taint on a node it is
	// about to remove (the framework's service controller drops such nodes
	// at once; with drain they go to weight 0 first).
	TaintToBeDeleted = nodeclass.ToBeDeletedTaint
	// MaxWeight is the CLB's highest backend weight (0–100).
	MaxWeight = 100
)

// IsDraining reports whether n is cordoned or tainted for deletion by the
// cluster autoscaler.
func IsDraining(n *v1.Node) bool {
	if n == nil {
		return false
	}
	if n.Spec.Unschedulable {
		return true
	}
	for _, t := range n.Spec.Taints {
		if t.Key == TaintToBeDeleted {
			return true
		}
	}
	return false
}

// Node is a node as the policies see it.
type Node struct {
	// Name is the Node name, matched against endpoints' nodeName.
	Name string
	// InstanceID is the ECS instance of an eligible ECS node; empty for a
	// virtual node or a node that may not be a member.
	InstanceID string
	// Virtual marks a virtual-kubelet node: its pods are pod members.
	Virtual bool
	// Draining puts the node's member (and, in the ENI policy, its pods) at
	// weight 0.
	Draining bool
}

// Params are the inputs of Members for one Service port.
type Params struct {
	Policy Policy
	// DefaultWeight is the weight of a Cluster or ENI member (default-weight
	// annotation, else 100).
	DefaultWeight int
	// TotalWeight, when set (weight annotation with vgroup-port: every group of the Service),
	// is spread over the members: evenly in Cluster and ENI, by endpoint
	// count in Local, at least 1 each, all 0 when it is 0.
	TotalWeight *int
	// NodePort is the port of node members.
	NodePort int
	// Nodes are the candidate nodes by name: eligible ECS nodes (with
	// InstanceID) and virtual nodes.
	Nodes map[string]Node
	// Endpoints of the port (ForPort).
	Endpoints []Endpoint
}

// Member is one desired vServer group member: a node (InstanceID set) or a
// pod (IP set; its ENI is resolved later).
type Member struct {
	InstanceID string
	IP         string
	// NodeName is the pod's node, for messages.
	NodeName string
	Port     int
	Weight   int
	// count is the endpoint count behind a Local node member (weights).
	count int
}

// IsPod reports whether m is a pod member.
func (m Member) IsPod() bool { return m.IP != "" }

// Members returns the desired members of one Service port, nodes first
// (sorted by instance), then pods (sorted by IP).
func Members(p Params) []Member {
	var nodes, pods []Member
	weight := func(zero bool, w int) int {
		if zero {
			return 0
		}
		return w
	}
	switch p.Policy {
	case PolicyENI:
		for _, e := range p.Endpoints {
			n := p.Nodes[e.NodeName]
			pods = append(pods, Member{IP: e.IP, NodeName: e.NodeName, Port: e.Port,
				Weight: weight(e.Terminating || n.Draining, p.DefaultWeight), count: 1})
		}
	case PolicyLocal:
		ready := map[string]int{}
		hosts := map[string]bool{}
		for _, e := range p.Endpoints {
			n, ok := p.Nodes[e.NodeName]
			switch {
			case !ok:
				// A node that may not be a member (excluded, not ECS,
				// backend-label): its pods get no traffic through the CLB.
			case n.Virtual:
				pods = append(pods, Member{IP: e.IP, NodeName: e.NodeName, Port: e.Port,
					Weight: weight(e.Terminating || n.Draining, 1), count: 1})
			case n.InstanceID != "":
				hosts[n.Name] = true
				if !e.Terminating {
					ready[n.Name]++
				}
			}
		}
		for name := range hosts {
			n := p.Nodes[name]
			c := ready[name]
			nodes = append(nodes, Member{InstanceID: n.InstanceID, NodeName: name, Port: p.NodePort,
				Weight: weight(n.Draining, min(c, MaxWeight)), count: c})
		}
	default: // Cluster
		for _, n := range p.Nodes {
			if n.Virtual || n.InstanceID == "" {
				continue
			}
			nodes = append(nodes, Member{InstanceID: n.InstanceID, NodeName: n.Name, Port: p.NodePort,
				Weight: weight(n.Draining, p.DefaultWeight), count: 1})
		}
		for _, e := range p.Endpoints {
			if n, ok := p.Nodes[e.NodeName]; ok && n.Virtual {
				pods = append(pods, Member{IP: e.IP, NodeName: e.NodeName, Port: e.Port,
					Weight: weight(e.Terminating || n.Draining, p.DefaultWeight), count: 1})
			}
		}
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].InstanceID < nodes[j].InstanceID })
	sort.Slice(pods, func(i, j int) bool { return pods[i].IP < pods[j].IP })
	out := slices.Concat(nodes, pods)
	if p.TotalWeight != nil {
		spread(out, *p.TotalWeight, p.Policy == PolicyLocal)
	}
	return out
}

// spread replaces the weights of members still in service (weight > 0) by
// a share of total: evenly, or by endpoint count (byCount), at least 1
// each, 0 for all when total is 0 (the official CCM's percent algorithm).
// Draining and terminating members stay at 0.
func spread(ms []Member, total int, byCount bool) {
	sum, live := 0, 0
	for _, m := range ms {
		if m.Weight > 0 {
			sum += m.count
			live++
		}
	}
	for i := range ms {
		if ms[i].Weight == 0 {
			continue
		}
		switch {
		case total <= 0:
			ms[i].Weight = 0
		case byCount && sum > 0:
			ms[i].Weight = max(1, total*ms[i].count/sum)
		default:
			ms[i].Weight = max(1, total/live)
		}
	}
}
