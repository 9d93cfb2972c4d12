package nodeclass

import (
	"strconv"

	v1 "k8s.io/api/core/v1"
)

// ToBeDeletedTaint is the cluster autoscaler's taint on a node it is about
// to remove.
const ToBeDeletedTaint = "ToBeDeletedByClusterAutoscaler"

// LoadBalancerNodes returns the nodes the framework's service controller
// hands a load balancer (its stable node set, k8s.io/cloud-provider
// controllers/service): not being deleted, not labelled
// node.kubernetes.io/exclude-from-external-load-balancers (unless the
// label parses as false), not tainted ToBeDeletedTaint. Readiness is
// deliberately not checked, as the framework does not since Kubernetes
// 1.28 (KEP-3458: a node flapping between Ready and NotReady must not
// churn the members; the load balancer's health checks handle it), and
// virtual nodes are kept: the engines drop them as they drop every node
// without an ECS instance. The NLB controller (controllers/nlbservice) and
// the endpoints controller pass this set, so NLB Services selected by
// class see the same nodes as those the framework serves.
func LoadBalancerNodes(nodes []*v1.Node) []*v1.Node {
	out := make([]*v1.Node, 0, len(nodes))
	for _, n := range nodes {
		if n != nil && n.DeletionTimestamp.IsZero() && !excluded(n) && !toBeDeleted(n) {
			out = append(out, n)
		}
	}
	return out
}

// excluded reports the framework's exclusion label: present and not a
// false boolean (an unparsable value excludes, as in the framework).
func excluded(n *v1.Node) bool {
	v, ok := n.Labels[v1.LabelNodeExcludeBalancers]
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

func toBeDeleted(n *v1.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == ToBeDeletedTaint {
			return true
		}
	}
	return false
}
