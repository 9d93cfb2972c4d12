// Package podbackends computes the vServer group members a LoadBalancer
// Service gets from its endpoints (pods, nodes, draining members), and resolves pod IPs to the
// ENIs the CLB API needs for pod-direct backends.
//
// It is pure policy plus one cloud lookup, with no Kubernetes client and no
// knowledge of vServer groups: the CLB engine (package loadbalancer) turns
// Members into group members and diffs them, the endpoints controller
// (controllers/endpoints) decides when to sync.
//
// # Policies
//
//   - Cluster: every eligible ECS node on the NodePort with the default
//     weight; endpoints on virtual-kubelet nodes (ECI pods) become pod
//     members on the target port with the same weight.
//   - Local: only ECS nodes hosting endpoints; weight = the number of the
//     Service's ready endpoints on the node. ECI pods count as one endpoint
//     each, so a pod weighs the same wherever it runs.
//   - ENI: every endpoint is a pod member on the target port with the
//     default weight; nodes are not members (Terway ENI and trunk ENI pods).
//
// # Graceful changes
//
// A terminating endpoint keeps its member at weight 0 (no new connections;
// existing ones drain, and the listener's connection-drain settings apply
// at removal) until it leaves the EndpointSlice, then the member is removed.
// Nodes that are cordoned or tainted ToBeDeletedByClusterAutoscaler are
// treated the same way when the Service has the drain annotation
// (AnnotationDrain): weight 0 while draining, removed once the Node is
// gone, weight restored if the node comes back into service.
package podbackends
