package annotations

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// NLBConfig is everything a Service asks of its NLB, parsed and validated
// by ParseNLB. Treat it as read-only.
type NLBConfig struct {
	// LB holds the NLB instance attributes.
	LB NLBInstance
	// Listeners has one entry per spec.ports entry, in spec order.
	Listeners []NLBListener
	// ServerGroup holds the settings shared by the Service's server groups.
	ServerGroup NLBServerGroup
	// Backend holds the backend selection and weights (the CLB type; the
	// NLB reads the same keys with the same meaning). VGroupPorts holds
	// server group IDs (sgp-...) of a reused NLB.
	Backend Backend
	// SourceRanges is spec.loadBalancerSourceRanges, parsed and masked; nil
	// when the field is empty (no restriction).
	SourceRanges []netip.Prefix
	// Warnings are non-fatal findings for Warning events.
	Warnings []string
}

// NLBInstance holds the instance attributes of the NLB.
type NLBInstance struct {
	// ReuseID is the id annotation (nlb-...); the CCM never deletes it.
	ReuseID string
	// ForceOverrideListeners lets the CCM manage a reused NLB's listeners.
	ForceOverrideListeners bool
	// Name is the NLB name; empty means the default name.
	Name string
	// AddressType is always set: address-type, default internet.
	AddressType AddressType
	// AddressTypeSet is true when address-type was written.
	AddressTypeSet bool
	// IPVersion is always set: ipv4 or DualStack.
	IPVersion IPVersion
	// IPVersionSet is true when ip-version was written.
	IPVersionSet bool
	// IPv6AddressType is internet or intranet; empty when unset.
	IPv6AddressType AddressType
	// ResourceGroupID is resource-group-id, else Defaults.ResourceGroupID.
	ResourceGroupID string
	// ResourceGroupIDSet is true when resource-group-id was written (false
	// when ResourceGroupID came from Defaults).
	ResourceGroupIDSet bool
	// AdditionalTags are extra tags; nil means "do not manage extra tags".
	AdditionalTags []Tag
	// ZoneMaps are the zones of zone-maps in annotation order; nil when
	// unset (the engine then derives them from the nodes' vSwitches).
	ZoneMaps []ZoneMap
	// SecurityGroupIDs are the user's security groups; nil when unset.
	SecurityGroupIDs []string
	// BandwidthPackageID is bandwidth-package-id; empty when unset.
	BandwidthPackageID string
	// CrossZoneEnabled is cross-zone-enabled; nil when unset.
	CrossZoneEnabled *bool
	// DeleteProtection is always set: delete-protection, default on.
	DeleteProtection bool
	// DeleteProtectionSet is true when delete-protection was written.
	DeleteProtectionSet bool
	// ModificationProtection is ConsoleProtection (default) or NonProtection.
	ModificationProtection string
	// ModificationProtectionSet is true when modification-protection was written.
	ModificationProtectionSet bool
	// PreserveOnDelete keeps a CCM-created NLB when the Service goes away.
	PreserveOnDelete bool
}

// ZoneMap is one zone of an NLB.
type ZoneMap struct {
	ZoneID, VSwitchID string
	// PrivateIPv4 is the fixed private address; invalid (zero) when unset.
	PrivateIPv4 netip.Addr
	// EIPAllocationID is the EIP of an internet NLB; empty when unset.
	EIPAllocationID string
}

// NLBProtocol is an NLB listener protocol, as the API spells it.
type NLBProtocol string

// NLB listener protocols.
const (
	NLBProtocolTCP    NLBProtocol = "TCP"
	NLBProtocolUDP    NLBProtocol = "UDP"
	NLBProtocolTCPSSL NLBProtocol = "TCPSSL"
)

// NLBListener is the listener for one spec.ports entry.
type NLBListener struct {
	// Port is the ServicePort port; NodePort its node port; TargetPort its
	// target port (pod backends).
	Port, NodePort int32
	TargetPort     intstr.IntOrString
	// PortName is the ServicePort name (may be empty); ServiceProtocol its
	// protocol (TCP or UDP): one port may be a TCP and a UDP ServicePort.
	PortName        string
	ServiceProtocol v1.Protocol
	// Protocol is always set: protocol-port, else the ServicePort protocol.
	Protocol NLBProtocol
	// PortRange is listener-port-range for this port; nil when unset.
	PortRange *PortRange
	// CertIDs are cert-id then additional-cert-ids (TCPSSL only).
	CertIDs []string
	// CACertID and CACertEnabled: mutual TLS (TCPSSL only).
	CACertID      string
	CACertEnabled *bool
	// TLSCipherPolicy is tls-cipher-policy; empty when unset.
	TLSCipherPolicy string
	// ALPNEnabled and ALPNPolicy: ALPN (TCPSSL only).
	ALPNEnabled *bool
	ALPNPolicy  string
	// ProxyProtocol and its v2 extras; nil when unset.
	ProxyProtocol                  *bool
	PPv2EpID, PPv2EpsID, PPv2VpcID *bool
	// IdleTimeout in seconds and CPS; nil when unset.
	IdleTimeout, CPS *int
}

// PortRange is an inclusive listener port range.
type PortRange struct{ Start, End int32 }

// NLBServerGroupType is the server group type, as the API spells it.
type NLBServerGroupType string

// NLB server group types.
const (
	NLBServerGroupInstance NLBServerGroupType = "Instance"
	NLBServerGroupIP       NLBServerGroupType = "Ip"
)

// NLBServerGroup holds the settings of every server group of the Service.
type NLBServerGroup struct {
	// Type is always set: server-group-type, default Instance.
	Type NLBServerGroupType
	// Scheduler is the API value (Wrr, Rr, Wlc, Sch, Tch, Qch); empty when unset.
	Scheduler string
	// PreserveClientIP, ConnectionDrain; nil when unset.
	PreserveClientIP, ConnectionDrain *bool
	// ConnectionDrainTimeout in seconds; nil when unset.
	ConnectionDrainTimeout *int
	// HealthCheck holds the health-check settings.
	HealthCheck NLBHealthCheck
}

// NLBHealthCheck holds the server groups' health check settings; every
// field is nil or empty when unset (NLB default).
type NLBHealthCheck struct {
	Enabled                               *bool
	Type                                  string // TCP, HTTP, UDP
	ConnectPort, ConnectTimeout, Interval *int
	HealthyThreshold, UnhealthyThreshold  *int
	URI, Domain, Method                   string
	HTTPCodes                             []string
}

// DualStack is the NLB's IPv4-and-IPv6 address family (ip-version).
const DualStack IPVersion = "DualStack"
