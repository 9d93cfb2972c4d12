package loadbalancer

import (
	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
)

// The node rules of this file are shared with the NLB engine (package
// nlb), so a node is a backend candidate by one set of rules whichever
// load balancer a Service asks for.

// NodeCandidate is a node that may be an ECS backend, with its instance.
type NodeCandidate struct {
	Node       *v1.Node
	InstanceID string
}

// EligibleNodes filters the framework's nodes to those that may be ECS
// backends (eligibleNodes: not virtual, ECS providerID, not excluded by
// label, matching backend-label, not cordoned with
// remove-unscheduled-backend), sorted by instance ID.
func EligibleNodes(nodes []*v1.Node, spec *annotations.Backend) []NodeCandidate {
	cs := eligibleNodes(nodes, spec)
	out := make([]NodeCandidate, len(cs))
	for i, c := range cs {
		out[i] = NodeCandidate{Node: c.node, InstanceID: c.instanceID}
	}
	return out
}

// CandidateNodes are the nodes endpoint-driven members may come from
// (candidateNodes): eligible ECS nodes and virtual nodes, with drain
// applied.
func CandidateNodes(all []*v1.Node, spec *annotations.Backend, drain bool) map[string]podbackends.Node {
	return candidateNodes(all, spec, drain)
}

// PodNodes are the nodes endpoint-driven members of policy may come from
// (podNodes): every cached node for Cluster, the nodes of the Service's
// endpoints, looked up by name, for Local and ENI. CandidateNodes of them
// are the candidates.
func PodNodes(src PodBackendSource, svc *v1.Service, slices []*discoveryv1.EndpointSlice, policy podbackends.Policy) ([]*v1.Node, error) {
	return podNodes(src, svc, slices, policy)
}

// Source returns the installed pod backend source, nil before the
// endpoints controller installed one.
func (h *PodBackendSlot) Source() PodBackendSource {
	if h == nil {
		return nil
	}
	return h.get()
}
