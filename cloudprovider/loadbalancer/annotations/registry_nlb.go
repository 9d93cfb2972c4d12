package annotations

import (
	"slices"
	"strings"
)

// NLB (Network Load Balancer) Services are selected by
// spec.loadBalancerClass alibabacloud.com/nlb or by KeyLoadBalancerType
// "nlb". They read the keys below, which CLB Services do not, plus the
// CLB keys listed in nlbShared with their NLB values. The official CCM's
// reference: https://www.alibabacloud.com/help/en/slb/network-load-balancer/use-cases/configure-nlb-instances-by-using-annotations
// and the NLB API limits: https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-dir.

// Selection of the load balancer product.
const (
	// KeyLoadBalancerType selects the product: `nlb` for an NLB, `clb` (or
	// unset) for a CLB. The official CCM reads it behind its
	// LoadBalancerTypeAnnotation feature gate.
	KeyLoadBalancerType Name = Prefix + "type"
	// NLBClass is the spec.loadBalancerClass of NLB Services.
	NLBClass = "alibabacloud.com/nlb"
)

// NLB-only annotation keys.
const (
	// KeyZoneMaps: zones and vSwitches (and optional addresses) of the NLB.
	KeyZoneMaps Name = Prefix + "zone-maps"
	// KeySecurityGroupIDs: security groups joined to the NLB.
	KeySecurityGroupIDs Name = Prefix + "security-group-ids"
	// KeyBandwidthPackageID: shared Internet bandwidth package of the NLB.
	KeyBandwidthPackageID Name = Prefix + "bandwidth-package-id"
	// KeyIPv6AddressType: internet or intranet IPv6 of a dual-stack NLB.
	KeyIPv6AddressType Name = Prefix + "ipv6-address-type"
	// KeyCrossZoneEnabled: cross-zone load balancing.
	KeyCrossZoneEnabled Name = Prefix + "cross-zone-enabled"
	// KeyCACertID: CA certificate of TCPSSL listeners (mutual TLS).
	KeyCACertID Name = Prefix + "cacert-id"
	// KeyCACert: mutual TLS switch of TCPSSL listeners.
	KeyCACert Name = Prefix + "cacert"
	// KeyAdditionalCertIDs: extra server certificates of TCPSSL listeners.
	KeyAdditionalCertIDs Name = Prefix + "additional-cert-ids"
	// KeyALPN: ALPN switch of TCPSSL listeners.
	KeyALPN Name = Prefix + "alpn"
	// KeyALPNPolicy: ALPN policy of TCPSSL listeners.
	KeyALPNPolicy Name = Prefix + "alpn-policy"
	// KeyCPS: new connections per second limit of listeners.
	KeyCPS Name = Prefix + "cps"
	// KeyPPv2PrivateLinkEpID: proxy protocol v2 carries the PrivateLink endpoint ID.
	KeyPPv2PrivateLinkEpID Name = Prefix + "ppv2-pvl-ep-id-enabled"
	// KeyPPv2PrivateLinkEpsID: proxy protocol v2 carries the PrivateLink endpoint service ID.
	KeyPPv2PrivateLinkEpsID Name = Prefix + "ppv2-pvl-eps-id-enabled"
	// KeyPPv2VpcID: proxy protocol v2 carries the VPC ID.
	KeyPPv2VpcID Name = Prefix + "ppv2-pvl-vpc-id-enabled"
	// KeyListenerPortRange: port-range listeners for Ip server groups.
	KeyListenerPortRange Name = Prefix + "listener-port-range"
	// KeyServerGroupType: Instance (nodes, ENIs) or Ip server groups.
	KeyServerGroupType Name = Prefix + "server-group-type"
	// KeyPreserveClientIP: client address preservation of server groups.
	KeyPreserveClientIP Name = Prefix + "preserve-client-ip"
)

// NLB groups, in the order of the reference's NLB section.
const (
	GroupNLBInstance    Group = "NLB instance"
	GroupNLBListener    Group = "NLB listener"
	GroupNLBServerGroup Group = "NLB server group"
)

// NLBGroups lists the NLB groups in reference order.
var NLBGroups = []Group{GroupNLBInstance, GroupNLBListener, GroupNLBServerGroup}

// tcpssl is the Protocols value of TCPSSL-only keys; nlbL4 of all NLB
// listener protocols.
const (
	tcpssl = "tcpssl"
	nlbL4  = "tcp, udp, tcpssl"
)

// nlbAnnotations are the keys only NLB Services read.
var nlbAnnotations = []Annotation{
	{Name: KeyZoneMaps, Group: GroupNLBInstance, Type: "`zone:vSwitch[:privateIPv4[:eipAllocationId]][,...]`", Default: "a new NLB: the nodes' zones (most nodes first, at most 10), in each the vSwitch most of its nodes use; cloud-config `vswitchid` entries `zone:vsw-...` complete them to two zones (the official CCM requires the annotation)", Mutability: Mutable,
		Doc: "Zones of the NLB, each with the vSwitch its address lives in and optionally a fixed private IPv4 address and, for an Internet NLB, an EIP; at least two zones where the region has two. A change updates the zones in place (UpdateLoadBalancerZones). Without the annotation the zones are chosen once, at creation: node changes never move an existing NLB's zones (its addresses would change)."},
	{Name: KeySecurityGroupIDs, Group: GroupNLBInstance, Type: "security group IDs, comma-separated (at most 4)", Default: "none", Mutability: Mutable,
		Doc: "Security groups joined to the NLB; the NLB leaves the ones removed from the list that the CCM joined."},
	{Name: KeyBandwidthPackageID, Group: GroupNLBInstance, Type: "bandwidth package ID (`cbwp-...`)", Default: "none", Mutability: Mutable,
		Doc: "Shared Internet bandwidth package of an Internet NLB."},
	{Name: KeyIPv6AddressType, Group: GroupNLBInstance, Type: "`internet` \\| `intranet`", Default: "`intranet`", Mutability: Mutable,
		Doc: "Whether the IPv6 addresses of a dual-stack NLB (`ip-version: DualStack`) are reachable from the Internet."},
	{Name: KeyCrossZoneEnabled, Group: GroupNLBInstance, Type: onOff, Default: "NLB default (`on`)", Mutability: Mutable,
		Doc: "Cross-zone load balancing: each zone's address forwards to backends in every zone."},
	{Name: KeyCACertID, Group: GroupNLBListener, Protocols: tcpssl, Type: "CA certificate ID", Default: "none", Mutability: Mutable,
		Doc: "CA certificate that client certificates are checked against (with `cacert: on`)."},
	{Name: KeyCACert, Group: GroupNLBListener, Protocols: tcpssl, Type: onOff, Default: "`off`", Mutability: Mutable,
		Doc: "Mutual TLS on tcpssl listeners; needs `cacert-id`."},
	{Name: KeyAdditionalCertIDs, Group: GroupNLBListener, Protocols: tcpssl, Type: "certificate IDs, comma-separated", Default: "none", Mutability: Mutable,
		Doc: "Additional server certificates of tcpssl listeners (SNI), besides `cert-id`. With `cert-id` set, the list is the listener's whole set: an additional certificate no longer listed (or the annotation removed) is disassociated, changes are made 15 certificates a call, and an NLB holds 25 additional certificates by default (quota `nlb_quota_loadbalancer_certificates_num`); a certificate may move between `cert-id` and this list."},
	{Name: KeyALPN, Group: GroupNLBListener, Protocols: tcpssl, Type: onOff, Default: "`off`", Mutability: Mutable,
		Doc: "ALPN negotiation on tcpssl listeners; needs `alpn-policy`."},
	{Name: KeyALPNPolicy, Group: GroupNLBListener, Protocols: tcpssl, Type: "`HTTP1Only` \\| `HTTP2Only` \\| `HTTP2Optional` \\| `HTTP2Preferred`", Default: "none", Mutability: Mutable,
		Doc: "ALPN policy of tcpssl listeners (with `alpn: on`)."},
	{Name: KeyCPS, Group: GroupNLBListener, Range: &Range{Min: 0, Max: 1000000}, Default: "NLB default (`0`, no limit)", Mutability: Mutable,
		Doc: "New connections per second each listener accepts; `0` means no limit."},
	{Name: KeyPPv2PrivateLinkEpID, Group: GroupNLBListener, Type: onOff, Default: "`off`", Mutability: Mutable,
		Doc: "With `proxy-protocol: on`, the proxy protocol v2 header carries the PrivateLink endpoint ID."},
	{Name: KeyPPv2PrivateLinkEpsID, Group: GroupNLBListener, Type: onOff, Default: "`off`", Mutability: Mutable,
		Doc: "With `proxy-protocol: on`, the proxy protocol v2 header carries the PrivateLink endpoint service ID."},
	{Name: KeyPPv2VpcID, Group: GroupNLBListener, Type: onOff, Default: "`off`", Mutability: Mutable,
		Doc: "With `proxy-protocol: on`, the proxy protocol v2 header carries the client's VPC ID."},
	{Name: KeyListenerPortRange, Group: GroupNLBListener, Type: "`start-end:servicePort[,...]`", Default: "none", Mutability: RecreatesListener,
		Doc: "Listen on a port range instead of the Service port, e.g. `80-90:80`; only with `server-group-type: ip` and `backend-type: eni` (pod backends), whose members then take the port the client connected to; ranges must not overlap another listener of the same protocol family (tcp and tcpssl share one)."},
	{Name: KeyServerGroupType, Group: GroupNLBServerGroup, Type: "`instance` \\| `ip`", Default: "`instance`", Mutability: Immutable,
		Doc: "`instance`: server groups of ECS instances and ENIs; `ip`: server groups of IP addresses (pod IPs)."},
	{Name: KeyPreserveClientIP, Group: GroupNLBServerGroup, Type: onOff, Default: "NLB default (`on` for instance groups)", Mutability: Mutable,
		Doc: "Backends see the client's address as the source address."},
}

// nlbShared are CLB registry keys that NLB Services read too, as NLB
// reads them: each entry's Type, Default and Doc describe the NLB value.
var nlbShared = []Annotation{
	{Name: KeyAddressType, Group: GroupNLBInstance, Type: "`internet` \\| `intranet`", Default: "`internet`", Mutability: Mutable,
		Doc: "Internet or VPC-internal NLB; a change switches the NLB in place (UpdateLoadBalancerAddressTypeConfig)."},
	{Name: KeyIPVersion, Group: GroupNLBInstance, Type: "`ipv4` \\| `DualStack`", Default: "`ipv4`", Mutability: Immutable,
		Doc: "IPv4 only or dual stack."},
	{Name: KeyName, Group: GroupNLBInstance, Type: "2–128 characters", Default: "the official CCM's default name", Mutability: Mutable, Doc: "NLB name."},
	{Name: KeyResourceGroupID, Group: GroupNLBInstance, Type: "resource group ID", Default: "cloud-config `resourceGroupID`", Mutability: Immutable, Doc: "Resource group of the NLB."},
	{Name: KeyAdditionalResourceTags, Group: GroupNLBInstance, Type: "`k1=v1[,k2=v2...]`", Default: "none", Mutability: Mutable, Doc: "Extra tags of the NLB."},
	{Name: KeyID, Group: GroupNLBInstance, Type: "NLB ID (`nlb-...`)", Default: "none", Mutability: Immutable,
		Doc: "Reuse an existing NLB; it is never deleted, and its listeners are left alone unless `force-override-listeners` is `true`."},
	{Name: KeyForceOverrideListeners, Group: GroupNLBInstance, Type: "`true` \\| `false`", Default: "`false`", Mutability: Mutable,
		Doc: "With `id`: the CCM manages the reused NLB's listeners on the Service's ports."},
	{Name: KeyDeleteProtection, Group: GroupNLBInstance, Type: onOff, Default: "`on`", Mutability: Mutable, Doc: "Deletion protection of the NLB; turned off by the CCM before it deletes the NLB."},
	{Name: KeyModificationProtection, Group: GroupNLBInstance, Type: "`ConsoleProtection` \\| `NonProtection`", Default: "`ConsoleProtection`", Mutability: Mutable, Doc: "Console modification protection of the NLB."},
	{Name: KeyPreserveLBOnDelete, Group: GroupNLBInstance, Type: "any non-empty value", Default: "unset", Mutability: Mutable,
		Doc: "Keep the NLB the CCM created when the Service is deleted."},
	{Name: KeyProtocolPort, Group: GroupNLBListener, Type: "`proto:port[,...]`, proto `tcp` \\| `udp` \\| `tcpssl`", Default: "the ServicePort protocol", Mutability: RecreatesListener,
		Doc: "Listener protocol per Service `port`; `tcpssl` terminates TLS with `cert-id`."},
	{Name: KeyCertID, Group: GroupNLBListener, Protocols: tcpssl, Type: "certificate ID", Default: "none (required for tcpssl)", Mutability: Mutable, Doc: "Server certificate of tcpssl listeners."},
	{Name: KeyTLSCipherPolicy, Group: GroupNLBListener, Protocols: tcpssl, Type: "TLS policy ID, e.g. `tls_cipher_policy_1_2`", Default: "NLB default (`tls_cipher_policy_1_0`)", Mutability: Mutable, Doc: "TLS security policy of tcpssl listeners."},
	{Name: KeyProxyProtocol, Group: GroupNLBListener, Type: onOff, Default: "`off`", Mutability: Mutable, Doc: "Proxy protocol v2 towards the backends."},
	{Name: KeyIdleTimeout, Group: GroupNLBListener, Range: &Range{Min: 10, Max: 900, Unit: "s; udp 10–90"}, Default: "NLB default (900; udp 90)", Mutability: Mutable, Doc: "Idle connection timeout of listeners."},
	{Name: KeyScheduler, Group: GroupNLBServerGroup, Type: "`wrr` \\| `rr` \\| `wlc` \\| `sch` \\| `tch` \\| `qch`", Default: "NLB default (`wrr`)", Mutability: Mutable,
		Doc: "Scheduling algorithm of the server groups; `qch` (QUIC ID hash) only for udp."},
	{Name: KeyConnectionDrain, Group: GroupNLBServerGroup, Type: onOff, Default: "NLB default (`off`)", Mutability: Mutable, Doc: "Connection draining when a backend is removed."},
	{Name: KeyConnectionDrainTimeout, Group: GroupNLBServerGroup, Range: &Range{Min: 0, Max: 900, Unit: "s"}, Default: "NLB default (10)", Mutability: Mutable, Doc: "How long draining connections are kept."},
	{Name: KeyHealthCheckFlag, Group: GroupNLBServerGroup, Type: onOff, Default: "NLB default (`on`)", Mutability: Mutable, Doc: "Health checks of the server groups."},
	{Name: KeyHealthCheckType, Group: GroupNLBServerGroup, Type: "`tcp` \\| `http` \\| `udp`", Default: "NLB default (`tcp`)", Mutability: Mutable, Doc: "Health check protocol."},
	{Name: KeyHealthCheckConnectPort, Group: GroupNLBServerGroup, Range: &Range{Min: 0, Max: maxPort}, Default: "NLB default (`0`, the backend port)", Mutability: Mutable, Doc: "Port the health check connects to; `0` is each backend's port."},
	{Name: KeyHealthCheckConnectTimeout, Group: GroupNLBServerGroup, Range: &Range{Min: 1, Max: 300, Unit: "s"}, Default: "NLB default (5)", Mutability: Mutable, Doc: "Health check response timeout."},
	{Name: KeyHealthyThreshold, Group: GroupNLBServerGroup, Range: &Range{Min: 2, Max: 10}, Default: "NLB default (2)", Mutability: Mutable, Doc: "Successes before a backend is healthy."},
	{Name: KeyUnhealthyThreshold, Group: GroupNLBServerGroup, Range: &Range{Min: 2, Max: 10}, Default: "NLB default (2)", Mutability: Mutable, Doc: "Failures before a backend is unhealthy."},
	{Name: KeyHealthCheckInterval, Group: GroupNLBServerGroup, Range: &Range{Min: 1, Max: 300, Unit: "s; 1–50 unless `health-check-type: udp`"}, Default: "NLB default (5)", Mutability: Mutable, Doc: "Time between health checks."},
	{Name: KeyHealthCheckURI, Group: GroupNLBServerGroup, Type: "path", Default: "none", Mutability: Mutable, Doc: "Path of http health checks."},
	{Name: KeyHealthCheckDomain, Group: GroupNLBServerGroup, Type: "domain name or `$SERVER_IP`", Default: "NLB default (`$SERVER_IP`)", Mutability: Mutable, Doc: "Host of http health checks."},
	{Name: KeyHealthCheckMethod, Group: GroupNLBServerGroup, Type: "`GET` \\| `HEAD`", Default: "NLB default (`GET`)", Mutability: Mutable, Doc: "Method of http health checks."},
	{Name: KeyHealthCheckHTTPCode, Group: GroupNLBServerGroup, Type: "`http_2xx` \\| `http_3xx` \\| `http_4xx` \\| `http_5xx`, comma-separated", Default: "NLB default (`http_2xx`)", Mutability: Mutable, Doc: "Status codes that mean healthy for http health checks."},
	{Name: KeyVGroupPort, Group: GroupNLBServerGroup, Type: "`sgp-id:port[,...]`", Default: "none", Mutability: Mutable, Doc: "With `id`: put the backends of a Service port into an existing server group of the reused NLB."},
	{Name: KeyWeight, Group: GroupNLBServerGroup, Range: &Range{Min: 0, Max: 100}, Default: "none", Mutability: Mutable, Doc: "With `vgroup-port`: the total weight of this Service's backends in the shared server group."},
	{Name: KeyDefaultWeight, Group: GroupNLBServerGroup, Range: &Range{Min: 0, Max: 100}, Default: "100", Mutability: Mutable, Doc: "Weight of each backend."},
	{Name: KeyIgnoreWeightUpdate, Group: GroupNLBServerGroup, Type: onOff, Default: "`off`", Mutability: Mutable, Doc: "Do not change the weights of existing backends."},
	{Name: KeyBackendType, Group: GroupNLBServerGroup, Type: "`ecs` \\| `eni`", Default: "cloud-config `serviceBackendType`, else `ecs`", Mutability: Mutable,
		Doc: "`ecs`: the nodes on the NodePort; `eni`: the pods on the target port (Terway), ignoring `externalTrafficPolicy`."},
	{Name: KeyBackendLabel, Group: GroupNLBServerGroup, Type: "`k1=v1[,k2=v2...]`", Default: "all nodes", Mutability: Mutable, Doc: "Only nodes with all these labels are backends."},
	{Name: KeyRemoveUnscheduledBackend, Group: GroupNLBServerGroup, Type: onOff, Default: "`off`", Mutability: Mutable, Doc: "Remove cordoned nodes from the backends."},
	{Name: KeyDrainUnscheduledBackend, Group: GroupNLBServerGroup, Type: onOff, Default: "`off`", Mutability: Mutable,
		Doc: "Drain nodes gracefully: a cordoned or autoscaler-tainted node stays a backend at weight 0 until it is gone or back in service."},
	{Name: KeyBackendIPVersion, Group: GroupNLBServerGroup, Type: "`ipv4` \\| `ipv6` \\| `dualstack`", Default: "`ipv4`", Mutability: Immutable, Doc: "Address family of pod backends (with `ip-version: DualStack`)."},
}

// nlbByName indexes nlbAnnotations and nlbShared by full key. Building it
// also renders the Type of every ranged entry from its Range, as byName
// does for the CLB rows.
var nlbByName = func() map[Name]*Annotation {
	m := map[Name]*Annotation{}
	for _, list := range [][]Annotation{nlbAnnotations, nlbShared} {
		for i := range list {
			a := &list[i]
			if _, dup := m[a.Name]; dup {
				panic("annotations: duplicate NLB registry entry " + string(a.Name))
			}
			if a.Range != nil {
				a.Type = a.Range.String()
			}
			m[a.Name] = a
		}
	}
	return m
}()

// nlbRangeOf returns the Range of a ranged NLB annotation. A key without
// one is a programming error, caught by the tests of every NLB key.
func nlbRangeOf(n Name) Range {
	a, ok := nlbByName[n]
	if !ok || a.Range == nil {
		panic("annotations: " + string(n) + " has no Range in the NLB registry")
	}
	return *a.Range
}

// AllNLB returns the annotations NLB Services read, in reference order:
// NLB-only keys and shared keys with their NLB meaning, by group.
func AllNLB() []Annotation {
	all := slices.Concat(nlbAnnotations, nlbShared)
	var out []Annotation
	for _, g := range NLBGroups {
		for _, a := range all {
			if a.Group == g {
				out = append(out, a)
			}
		}
	}
	return out
}

// LookupNLB returns the NLB meaning of a full key (either prefix).
func LookupNLB(key string) (Annotation, bool) {
	if s, ok := strings.CutPrefix(key, LegacyPrefix); ok {
		key = Prefix + s
	}
	a, ok := nlbByName[Name(key)]
	if !ok {
		return Annotation{}, false
	}
	return *a, true
}

// isNLBOnly reports whether key (with Prefix) is read by NLB Services only.
func isNLBOnly(key Name) bool {
	return slices.ContainsFunc(nlbAnnotations, func(a Annotation) bool { return a.Name == key })
}
