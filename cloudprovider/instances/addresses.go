package instances

import (
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"
)

// nodeAddresses builds the node's status.addresses from its instance:
//
//   - InternalIP: the primary private IP first, then the instance's other
//     VPC (or classic inner) addresses; plus the kubelet's --node-ip
//     (annotation alpha.kubernetes.io/provided-node-ip) when it is an address
//     of one of the instance's ENIs, because the framework refuses to
//     initialise a node whose provided IP is not among the cloud's addresses;
//   - ExternalIP: the public IP and the EIP;
//   - Hostname: none when kubelet reported one, because the framework then
//     keeps kubelet's (the name the node is reachable by, often set with
//     --hostname-override); otherwise the ECS host name.
//
// The framework replaces status.addresses with this list (plus kubelet's
// Hostname), so other kubelet-reported addresses are dropped, as with every
// cloud provider.
func nodeAddresses(node *v1.Node, inst *ecs.Instance) []v1.NodeAddress {
	var out []v1.NodeAddress
	seen := map[v1.NodeAddress]bool{}
	add := func(t v1.NodeAddressType, ip string) {
		a := v1.NodeAddress{Type: t, Address: ip}
		if ip != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, ip := range privateIPs(inst) {
		add(v1.NodeInternalIP, ip)
	}
	if provided := node.Annotations[cloudproviderapi.AnnotationAlphaProvidedIPAddr]; provided != "" && contains(matchIPs(inst), provided) {
		add(v1.NodeInternalIP, provided)
	}
	for _, ip := range inst.PublicIpAddress.IpAddress {
		add(v1.NodeExternalIP, ip)
	}
	add(v1.NodeExternalIP, inst.EipAddress.IpAddress)
	if !hasHostname(node) {
		host := inst.HostName
		if host == "" {
			host = inst.Hostname
		}
		add(v1.NodeHostName, host)
	}
	return out
}

func hasHostname(node *v1.Node) bool {
	for _, a := range node.Status.Addresses {
		if a.Type == v1.NodeHostName && a.Address != "" {
			return true
		}
	}
	return false
}
