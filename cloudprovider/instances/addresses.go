package instances

import (
	"slices"

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
func nodeAddresses(node *v1.Node, inst *instance) []v1.NodeAddress {
	var out []v1.NodeAddress
	seen := map[v1.NodeAddress]bool{}
	add := func(t v1.NodeAddressType, ip string) {
		a := v1.NodeAddress{Type: t, Address: ip}
		if ip != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, ip := range inst.private {
		add(v1.NodeInternalIP, ip)
	}
	if provided := node.Annotations[cloudproviderapi.AnnotationAlphaProvidedIPAddr]; provided != "" && contains(inst.match, provided) {
		add(v1.NodeInternalIP, provided)
	}
	for _, ip := range inst.public {
		add(v1.NodeExternalIP, ip)
	}
	add(v1.NodeExternalIP, inst.eip)
	if !hasHostname(node) {
		add(v1.NodeHostName, inst.hostName)
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

// instance is what the lookup keeps of an ECS instance: the fields node
// metadata, addresses and IP matching read. A decoded ecs.Instance has
// about a hundred fields (disks, tags, ENIs, options...) and the cache
// holds one per node for CacheTTL: 5,000 nodes kept about 12 MB of them.
type instance struct {
	id, status, instanceType, zone string
	// hostName is the ECS host name (HostName, else Hostname).
	hostName string
	// private are privateIPs, match are matchIPs.
	private, match []string
	// public are the public IPs, eip the EIP address.
	public []string
	eip    string
}

// trimInstance keeps the fields of in that the CCM reads.
func trimInstance(in *ecs.Instance) *instance {
	host := in.HostName
	if host == "" {
		host = in.Hostname
	}
	return &instance{id: in.InstanceId, status: in.Status, instanceType: in.InstanceType, zone: in.ZoneId, hostName: host,
		private: privateIPs(in), match: matchIPs(in), public: slices.Clone(in.PublicIpAddress.IpAddress), eip: in.EipAddress.IpAddress}
}
